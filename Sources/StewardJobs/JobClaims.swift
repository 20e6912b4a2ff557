import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// A job this node has claimed: what the worker needs to run it and to write its end.
struct ClaimedJob: Sendable {
    let id: Int64
    let kind: String
    let arguments: Data
    let attempt: Int
    let maxAttempts: Int
    let fencingToken: Int64
}

/// How an attempt ended, as the worker writes it.
struct JobCompletion: Sendable {
    enum Outcome: String, Sendable {
        case completed
        /// Failed; claimable again after `retryIn`.
        case retryable
        /// Failed for good (last attempt, or a permanent error).
        case discarded
        case cancelled
        /// Not failed but interrupted (its node shut down): back to the pool at once.
        case available
    }

    let id: Int64
    let kind: String
    let fencingToken: Int64
    let outcome: Outcome
    let error: String?
    let retryIn: Duration
    let resultJSON: String?
    let runTime: Duration
}

/// The SQL of a node's worker: claim, renew, complete. Every write after the claim carries the
/// job's fencing token, so a node that lost a job (paused past its lease, cut off) writes nothing.
struct JobClaims: Sendable {
    let nodeID: NodeID
    let incarnation: Incarnation
    let logger: Logger

    /// For the claim connection only: walk `jobs_ready` in order and stop at the limit. After a burst
    /// of enqueues, before autovacuum has analyzed the table, the planner takes it for tiny and
    /// picks a bitmap scan and a sort of every ready job, making each claim cost O(backlog).
    static let claimSessionSettings = ["SET enable_bitmapscan = off", "SET enable_sort = off"]

    /// Up to `limit` ready jobs, oldest first within priority, skipping rows other nodes are claiming.
    /// Only an online node of this incarnation, seen within the offline limit, gets any.
    func claim(limit: Int, lease: Duration, on runner: some QueryRunner) async throws -> [ClaimedJob] {
        try await runner.run("""
            WITH eligible AS (
                SELECT 1 FROM nodes WHERE node_id = \(nodeID.uuid) AND incarnation = \(incarnation.value)
                   AND state = \(NodeState.online) AND last_seen >= now() - steward_offline_after()
            ), picked AS (
                SELECT job_id FROM jobs
                WHERE state IN ('available', 'retryable') AND run_at <= now()
                  AND (target_node IS NULL OR target_node = \(nodeID.uuid))
                  AND EXISTS (SELECT 1 FROM eligible)
                ORDER BY priority DESC, run_at, job_id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs j SET state = 'running', attempt = j.attempt + 1, claimed_by = \(nodeID.uuid),
                   claimed_incarnation = \(incarnation.value), fencing_token = nextval('job_fencing_tokens'),
                   lease_expires_at = now() + make_interval(secs => \(lease.inSeconds)), attempted_at = now(), cancel_requested = false
            FROM picked WHERE j.job_id = picked.job_id
            RETURNING j.job_id, j.kind, j.args::text, j.attempt, j.max_attempts, j.fencing_token
            """, logger: logger).map { row in
            let (id, kind, arguments, attempt, maxAttempts, token) = try row.decode((Int64, String, String, Int, Int, Int64).self)
            return ClaimedJob(id: id, kind: kind, arguments: Data(arguments.utf8), attempt: attempt, maxAttempts: maxAttempts, fencingToken: token)
        }
    }

    struct Renewal: Sendable {
        /// Still ours, with a new lease; `cancel` when someone asked for it to stop.
        var held: [Int64: Bool] = [:]
    }

    /// Extends the lease of every job still held under its token; the others were lost.
    func renew(_ jobs: [(id: Int64, token: Int64)], lease: Duration, on runner: some QueryRunner) async throws -> Renewal {
        guard !jobs.isEmpty else { return Renewal() }
        let rows = try await runner.run("""
            UPDATE jobs j SET lease_expires_at = now() + make_interval(secs => \(lease.inSeconds))
            FROM unnest(\(jobs.map(\.id))::int8[], \(jobs.map(\.token))::int8[]) AS h(job_id, token)
            WHERE j.job_id = h.job_id AND j.fencing_token = h.token AND j.state = 'running'
            RETURNING j.job_id, j.cancel_requested
            """, logger: logger)
        var renewal = Renewal()
        for row in rows {
            let (id, cancel) = try row.decode((Int64, Bool).self)
            renewal.held[id] = cancel
        }
        return renewal
    }

    /// Writes the end of attempts, each only if its token still holds; adds them to this node's
    /// statistics for the minute. Returns the ids whose write was accepted, with the state written.
    func complete(_ completions: [JobCompletion], on runner: some QueryRunner) async throws -> [Int64: JobState] {
        guard !completions.isEmpty else { return [:] }
        let sorted = completions.sorted { $0.id < $1.id }
        let rows = try await runner.run("""
            WITH done AS (
                SELECT * FROM unnest(\(sorted.map(\.id))::int8[], \(sorted.map(\.fencingToken))::int8[], \(sorted.map(\.outcome.rawValue))::text[],
                                     \(sorted.map { $0.error ?? "" })::text[], \(sorted.map(\.retryIn.inSeconds))::float8[],
                                     \(sorted.map { $0.resultJSON ?? "" })::text[], \(sorted.map { $0.runTime.inMilliseconds })::int8[])
                    AS d(job_id, token, outcome, error, delay, result, run_ms)
            ), target AS (
                SELECT d.*, CASE WHEN j.cancel_requested AND d.outcome <> 'completed' THEN 'cancelled' ELSE d.outcome END AS new_state
                FROM done d JOIN jobs j ON j.job_id = d.job_id AND j.fencing_token = d.token AND j.state = 'running'
                ORDER BY d.job_id
                FOR UPDATE OF j
            ), updated AS (
                UPDATE jobs j SET state = t.new_state,
                       last_error = CASE WHEN t.outcome = 'completed' THEN j.last_error ELSE nullif(t.error, '') END,
                       result = CASE WHEN t.outcome = 'completed' THEN nullif(t.result, '')::jsonb ELSE j.result END,
                       run_at = CASE WHEN t.new_state IN ('retryable', 'available') THEN now() + make_interval(secs => t.delay) ELSE j.run_at END,
                       finished_at = CASE WHEN t.new_state IN ('completed', 'discarded', 'cancelled') THEN now() END,
                       lease_expires_at = NULL
                FROM target t WHERE j.job_id = t.job_id AND j.fencing_token = t.token
                RETURNING j.job_id, j.kind, j.state, t.run_ms
            ), counted AS (
                INSERT INTO job_stats AS s (minute, node_id, kind, succeeded, failed, retried, run_ms)
                SELECT date_trunc('minute', now()), \(nodeID.uuid), kind,
                       count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state = 'discarded'),
                       count(*) FILTER (WHERE state IN ('retryable', 'available')), sum(run_ms)
                FROM updated GROUP BY kind
                ON CONFLICT (minute, node_id, kind) DO UPDATE SET succeeded = s.succeeded + EXCLUDED.succeeded,
                   failed = s.failed + EXCLUDED.failed, retried = s.retried + EXCLUDED.retried, run_ms = s.run_ms + EXCLUDED.run_ms
            )
            SELECT job_id, state FROM updated
            """, logger: logger)
        var written: [Int64: JobState] = [:]
        for row in rows {
            let (id, state) = try row.decode((Int64, JobState).self)
            written[id] = state
        }
        return written
    }
}
