import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// The leader's rescuer: a running job whose lease expired, or whose node went offline, restarted
/// (another incarnation) or was removed, goes back to the pool with its attempt counted (or is
/// discarded when that was its last). Local jobs of decommissioned nodes are dropped. One statement,
/// under the leader's term: a leader that lost its lease rescues nothing.
struct Rescuer: Sendable {
    let lease: LeaderLease
    var logger: Logger { lease.logger }

    struct Result: Sendable, Equatable {
        var rescued: [(id: Int64, kind: String, reason: String)] = []
        var dropped = 0
        var termHeld = true

        static func == (lhs: Result, rhs: Result) -> Bool {
            lhs.rescued.map(\.id) == rhs.rescued.map(\.id) && lhs.dropped == rhs.dropped && lhs.termHeld == rhs.termHeld
        }
    }

    func rescue(term: Int64, on runner: some QueryRunner) async throws -> Result {
        let heartbeating = NodeState.heartbeating.map(\.rawValue)
        let rows = try await runner.run("""
            WITH lease AS (
                SELECT 1 FROM leader_lease
                WHERE term = \(term) AND holder = \(lease.nodeID.uuid) AND incarnation = \(lease.incarnation.value) AND expires_at > now()
                FOR SHARE
            ), stale AS (
                SELECT j.job_id, j.claimed_by, coalesce(n.name, 'a removed node') AS node_name,
                       CASE WHEN n.node_id IS NULL THEN 'its node was removed'
                            WHEN n.incarnation <> j.claimed_incarnation THEN 'its node restarted'
                            WHEN n.state <> ALL(\(heartbeating)) OR n.last_seen < now() - steward_offline_after() THEN 'its node went offline'
                            ELSE 'its lease expired' END AS reason
                FROM jobs j LEFT JOIN nodes n ON n.node_id = j.claimed_by
                WHERE j.state = 'running' AND EXISTS (SELECT 1 FROM lease)
                  AND (j.lease_expires_at < now() OR n.node_id IS NULL OR n.incarnation <> j.claimed_incarnation
                       OR n.state <> ALL(\(heartbeating)) OR n.last_seen < now() - steward_offline_after())
                FOR UPDATE OF j SKIP LOCKED
            ), rescued AS (
                UPDATE jobs j SET
                       state = CASE WHEN j.cancel_requested THEN 'cancelled' WHEN j.attempt >= j.max_attempts THEN 'discarded' ELSE 'available' END,
                       last_error = 'attempt ' || j.attempt || ' was cut off on ' || s.node_name || ': ' || s.reason,
                       finished_at = CASE WHEN j.cancel_requested OR j.attempt >= j.max_attempts THEN now() END,
                       lease_expires_at = NULL, run_at = now()
                FROM stale s WHERE j.job_id = s.job_id
                RETURNING j.job_id, j.kind, j.state, s.claimed_by, s.reason
            ), counted AS (
                INSERT INTO job_stats AS st (minute, node_id, kind, succeeded, failed, retried, run_ms)
                SELECT date_trunc('minute', now()), claimed_by, kind, 0,
                       count(*) FILTER (WHERE state = 'discarded'), count(*) FILTER (WHERE state = 'available'), 0
                FROM rescued WHERE claimed_by IS NOT NULL GROUP BY claimed_by, kind
                ON CONFLICT (minute, node_id, kind) DO UPDATE SET failed = st.failed + EXCLUDED.failed, retried = st.retried + EXCLUDED.retried
            ), dropped AS (
                UPDATE jobs SET state = 'cancelled', finished_at = now(), lease_expires_at = NULL,
                       last_error = 'dropped: its node was decommissioned'
                WHERE target_node IN (SELECT node_id FROM nodes WHERE state = \(NodeState.decommissioned))
                  AND state IN ('available', 'retryable', 'running') AND EXISTS (SELECT 1 FROM lease)
                RETURNING job_id
            )
            SELECT 'rescued', job_id, kind, reason FROM rescued
            UNION ALL SELECT 'dropped', count(*), '', '' FROM dropped
            UNION ALL SELECT 'term', count(*), '', '' FROM lease
            """, logger: logger)
        var result = Result()
        for row in rows {
            let (what, number, kind, reason) = try row.decode((String, Int64, String, String).self)
            switch what {
            case "rescued": result.rescued.append((number, kind, reason))
            case "dropped": result.dropped = Int(number)
            default: result.termHeld = number > 0
            }
        }
        if !result.rescued.isEmpty {
            try await runner.run("SELECT pg_notify(\(JobQueue.channel), 'wake')", logger: logger)
        }
        return result
    }
}
