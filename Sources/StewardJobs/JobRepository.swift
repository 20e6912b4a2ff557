import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// Jobs as the API and the CLI see them: lists with filters, one job, cancelling, statistics.
public struct JobRepository: Sendable {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public struct Filter: Sendable {
        public var states: [JobState] = []
        public var kind: String?
        /// Node name: jobs it holds or last held, or local jobs meant for it.
        public var node: String?
        public var before: Int64?
        public var limit = 100
        public init() {}
    }

    static let columns = """
        j.job_id, j.kind, j.state, j.args::text, j.result::text, j.attempt, j.max_attempts, j.priority, j.run_at, j.created_at,
        j.attempted_at, j.finished_at, claimed.name, target.name, j.fencing_token, j.lease_expires_at, j.last_error,
        j.idempotency_key, j.cancel_requested
        """

    static let joins = """
        LEFT JOIN nodes claimed ON claimed.node_id = j.claimed_by LEFT JOIN nodes target ON target.node_id = j.target_node
        """

    public func list(_ filter: Filter, on runner: some QueryRunner) async throws -> JobList {
        let states = filter.states.isEmpty ? JobState.allCases.map(\.rawValue) : filter.states.map(\.rawValue)
        let jobs = try await runner.run("""
            SELECT \(unescaped: Self.columns) FROM jobs j \(unescaped: Self.joins)
            WHERE j.state = ANY(\(states)) AND (\(filter.kind)::text IS NULL OR j.kind = \(filter.kind))
              AND (\(filter.node)::text IS NULL OR claimed.name = \(filter.node) OR target.name = \(filter.node))
              AND j.job_id < \(filter.before ?? Int64.max)
            ORDER BY j.job_id DESC LIMIT \(filter.limit)
            """, logger: logger).map(Self.record)
        return JobList(jobs: jobs, next: jobs.count == filter.limit ? jobs.last?.id : nil)
    }

    public func find(_ id: Int64, on runner: some QueryRunner) async throws -> JobRecord? {
        try await runner.run("SELECT \(unescaped: Self.columns) FROM jobs j \(unescaped: Self.joins) WHERE j.job_id = \(id)",
                             logger: logger).first.map(Self.record)
    }

    /// A waiting job is cancelled at once; a running one is marked and its node told (it stops the
    /// handler, and the rescuer finishes the job off if the node is gone). Nil: no such job.
    public func cancel(_ id: Int64, on runner: some QueryRunner) async throws -> JobCancelled? {
        guard let row = try await runner.run("""
            WITH target AS (SELECT job_id, state FROM jobs WHERE job_id = \(id) FOR UPDATE),
            changed AS (
                UPDATE jobs j SET cancel_requested = true,
                       state = CASE WHEN j.state = 'running' THEN j.state ELSE 'cancelled' END,
                       finished_at = CASE WHEN j.state = 'running' THEN j.finished_at ELSE now() END,
                       last_error = CASE WHEN j.state = 'running' THEN j.last_error ELSE coalesce(j.last_error, 'cancelled before it ran') END
                FROM target t WHERE j.job_id = t.job_id AND t.state IN ('available', 'retryable', 'running')
                RETURNING j.state
            )
            SELECT t.state, coalesce((SELECT state FROM changed), t.state),
                   pg_notify(\(JobQueue.channel), 'cancel:' || t.job_id) IS NULL
            FROM target t
            """, logger: logger).first else { return nil }
        let (before, after, _) = try row.decode((JobState, JobState, Bool).self)
        let message: String
        switch (before, after) {
        case (.running, _): message = "the job is running; its node was asked to stop it"
        case (_, .cancelled) where !before.isFinished: message = "cancelled before it ran"
        default: message = "the job had already finished (\(before.rawValue)); nothing changed"
        }
        return JobCancelled(id: id, previousState: before, state: after, message: message)
    }

    public func depth(on runner: some QueryRunner) async throws -> JobDepth {
        guard let row = try await runner.run("""
            SELECT count(*) FILTER (WHERE state IN ('available', 'retryable') AND run_at <= now()),
                   count(*) FILTER (WHERE state IN ('available', 'retryable') AND run_at > now()),
                   count(*) FILTER (WHERE state = 'running')
            FROM jobs WHERE state IN ('available', 'retryable', 'running')
            """, logger: logger).first else { return JobDepth(ready: 0, scheduled: 0, running: 0) }
        let (ready, scheduled, running) = try row.decode((Int, Int, Int).self)
        return JobDepth(ready: ready, scheduled: scheduled, running: running)
    }

    struct Key: Hashable { let node: String?; let kind: String? }
    struct PointKey: Hashable { let minute: Date; let key: Key }

    public enum Grouping: String, Sendable, CaseIterable {
        case node, kind
    }

    /// Per-minute counts of the last `minutes`, grouped by node, kind or both.
    public func stats(by grouping: [Grouping], minutes: Int, on runner: some QueryRunner) async throws -> JobStatsReport {
        let rows = try await runner.run("""
            SELECT s.minute, coalesce(n.name, s.node_id::text), s.kind, s.succeeded, s.failed, s.retried, s.run_ms,
                   date_trunc('minute', now()) - make_interval(mins => \(Int32(minutes - 1)))
            FROM job_stats s LEFT JOIN nodes n ON n.node_id = s.node_id
            WHERE s.minute >= date_trunc('minute', now()) - make_interval(mins => \(Int32(minutes - 1)))
            ORDER BY s.minute
            """, logger: logger)
        let byNode = grouping.contains(.node), byKind = grouping.contains(.kind)
        var totals: [Key: JobStatsReport.Row] = [:]
        var points: [PointKey: JobStatsReport.Point] = [:]
        var since: Date?
        for row in rows {
            let (minute, node, kind, succeeded, failed, retried, runMilliseconds, from) = try row.decode(
                (Date, String, String, Int, Int, Int, Int64, Date).self)
            since = from
            let key = Key(node: byNode ? node : nil, kind: byKind ? kind : nil)
            var total = totals[key] ?? .init(node: key.node, kind: key.kind, succeeded: 0, failed: 0, retried: 0, runSeconds: 0, meanRunMilliseconds: nil)
            total.succeeded += succeeded
            total.failed += failed
            total.retried += retried
            total.runSeconds += Double(runMilliseconds) / 1000
            totals[key] = total
            let pointKey = PointKey(minute: minute, key: key)
            var point = points[pointKey] ?? .init(minute: minute, node: key.node, kind: key.kind, succeeded: 0, failed: 0, retried: 0, runMilliseconds: 0)
            point.succeeded += succeeded
            point.failed += failed
            point.retried += retried
            point.runMilliseconds += runMilliseconds
            points[pointKey] = point
        }
        let summary = totals.values.map { row -> JobStatsReport.Row in
            var row = row
            let attempts = row.succeeded + row.failed + row.retried
            row.meanRunMilliseconds = attempts > 0 ? row.runSeconds * 1000 / Double(attempts) : nil
            return row
        }.sorted { ($0.node ?? "", $0.kind ?? "") < ($1.node ?? "", $1.kind ?? "") }
        let series = points.values.sorted { ($0.minute, $0.node ?? "", $0.kind ?? "") < ($1.minute, $1.node ?? "", $1.kind ?? "") }
        let depth = try await depth(on: runner)
        var start = since ?? Date()
        if since == nil, let row = try await runner.run("SELECT date_trunc('minute', now()) - make_interval(mins => \(Int32(minutes - 1)))",
                                                        logger: logger).first {
            start = try row.decode(Date.self)
        }
        return JobStatsReport(by: grouping.map(\.rawValue), minutes: minutes, since: start, rows: summary, series: series,
                              ready: depth.ready, scheduled: depth.scheduled, running: depth.running)
    }

    static func record(_ row: PostgresRow) throws -> JobRecord {
        let c = try row.decode((Int64, String, JobState, String, String?, Int, Int, Int16, Date, Date, Date?, Date?, String?, String?, Int64?,
                                Date?, String?, String?, Bool).self)
        return JobRecord(id: c.0, kind: c.1, state: c.2, arguments: JSONValue(text: c.3) ?? .null, result: c.4.flatMap(JSONValue.init(text:)),
                         attempt: c.5, maxAttempts: c.6, priority: Int(c.7), runAt: c.8, createdAt: c.9, attemptedAt: c.10, finishedAt: c.11,
                         node: c.12, targetNode: c.13, fencingToken: c.14, leaseExpiresAt: c.15, lastError: c.16, idempotencyKey: c.17,
                         cancelRequested: c.18)
    }
}
