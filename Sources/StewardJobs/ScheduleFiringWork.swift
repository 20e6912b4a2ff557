import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// The leader's scheduler: fires each due slot of each schedule once, in one transaction per
/// schedule that (under the leader's term) inserts the slot's firing, unique per schedule and
/// slot, with its jobs, and moves the schedule on. Two leaders cannot both fire a slot: the
/// term check serializes them, and the firing's primary key would refuse the second anyway.
struct ScheduleFiringWork: Sendable {
    let lease: LeaderLease
    let registry: JobRegistry
    var logger: Logger { lease.logger }

    struct Due: Sendable {
        let id: Int64
        let name: String
    }

    /// Schedules whose next slot has come, and how long until the next one comes otherwise.
    func due(on runner: some QueryRunner) async throws -> (due: [Due], nextIn: Duration?) {
        let rows = try await runner.run("""
            SELECT schedule_id, name, EXTRACT(EPOCH FROM next_slot - now())::float8 FROM schedules
            WHERE NOT paused ORDER BY next_slot LIMIT 100
            """, logger: logger)
        var due: [Due] = []
        var nextIn: Duration?
        for row in rows {
            let (id, name, seconds) = try row.decode((Int64, String, Double).self)
            if seconds <= 0 {
                due.append(Due(id: id, name: name))
            } else if nextIn == nil {
                nextIn = .milliseconds(Int64(seconds * 1000))
            }
        }
        return (due, nextIn)
    }

    struct Fired: Sendable {
        var fired = 0
        var skipped = 0
        var missed = 0
        var jobs = 0
    }

    func fire(_ due: Due, term: Int64, on connection: PostgresConnection) async throws -> Fired {
        let lease = self.lease, logger = self.logger, registry = self.registry
        return try await connection.withTransaction(logger: logger) { connection in
            try await lease.confirm(term: term, on: connection)
            guard let row = try await connection.run("""
                SELECT kind, args::text, scope, interval_seconds, cron, time_zone, misfire, misfire_grace, next_slot, now()
                FROM schedules WHERE schedule_id = \(due.id) AND NOT paused AND next_slot <= now()
                FOR UPDATE
                """, logger: logger).first else { return Fired() }
            let (kind, arguments, scope, interval, cron, zone, misfire, grace, nextSlot, now) = try row.decode(
                (String, String, String, Double?, String?, String, String, Double, Date, Date).self)
            let timing = try ScheduleTiming(interval: interval, cron: cron, timeZone: zone)
            let plan = SlotPlan.plan(timing: timing, nextSlot: nextSlot, now: now, grace: .milliseconds(Int64(grace * 1000)),
                                     policy: MisfirePolicy(rawValue: misfire) ?? .fireOnce)
            var result = Fired()
            for firing in plan.firings {
                let inserted = try await connection.run("""
                    INSERT INTO schedule_firings (schedule_id, slot, fired_by, term, jobs, outcome, missed)
                    VALUES (\(due.id), \(firing.slot), \(lease.nodeID.uuid), \(term), '{}', \(firing.fires ? "fired" : "skipped"), \(firing.missed))
                    ON CONFLICT (schedule_id, slot) DO NOTHING
                    RETURNING 1
                    """, logger: logger)
                guard !inserted.isEmpty else {
                    logger.error("schedule \(due.name): slot \(firing.slot) had fired already; not firing it again")
                    continue
                }
                result.missed += firing.missed
                guard firing.fires else {
                    result.skipped += 1
                    continue
                }
                let jobs = try await enqueue(kind: kind, arguments: arguments, local: scope == "each-node", scheduleID: due.id,
                                             slot: firing.slot, registry: registry, on: connection)
                try await connection.run("""
                    UPDATE schedule_firings SET jobs = \(jobs) WHERE schedule_id = \(due.id) AND slot = \(firing.slot)
                    """, logger: logger)
                result.fired += 1
                result.jobs += jobs.count
            }
            // A cron line that never matches again leaves the schedule paused, with its last slot.
            try await connection.run("""
                UPDATE schedules SET next_slot = coalesce(\(plan.next), next_slot), paused = paused OR \(plan.next == nil)
                WHERE schedule_id = \(due.id)
                """, logger: logger)
            return result
        }
    }

    /// The slot's jobs: one for the cluster, or one per online node for an each-node schedule.
    func enqueue(kind: String, arguments: String, local: Bool, scheduleID: Int64, slot: Date, registry: JobRegistry,
                 on connection: PostgresConnection) async throws -> [Int64] {
        let maxAttempts = registry.entry(kind)?.defaultMaxAttempts ?? 5
        let key = "schedule:\(scheduleID):\(Int64((slot.timeIntervalSince1970 * 1000).rounded()))"
        guard local else {
            let job = try await JobQueue.enqueue(kind: kind, scope: .pooled, argumentsJSON: arguments, maxAttempts: maxAttempts,
                                                 options: JobOptions(idempotencyKey: key), on: connection, logger: logger)
            return [job.id]
        }
        let nodes = try await connection.run("""
            SELECT node_id FROM nodes WHERE state = \(NodeState.online) AND last_seen >= now() - steward_offline_after() ORDER BY name
            """, logger: logger).map { NodeID(try $0.decode(UUID.self)) }
        var jobs: [Int64] = []
        for node in nodes {
            let job = try await JobQueue.enqueue(kind: kind, scope: .local, argumentsJSON: arguments, maxAttempts: maxAttempts,
                                                 options: JobOptions(idempotencyKey: "\(key):\(node)", node: node), on: connection, logger: logger)
            jobs.append(job.id)
        }
        return jobs
    }
}
