import Foundation
import Logging
import PostgresNIO
import StewardModel

/// Nodes as the cluster sees them now: a node that claims to be up but has not been seen for the
/// cluster's offline limit shows as offline, computed on database time at read, whoever marked it.
extension NodeRepository {
    public func statuses(on runner: some QueryRunner) async throws -> [NodeStatus] {
        try await query(where: nil, lock: false, on: runner)
    }

    /// One node, by id or by name.
    public func status(of node: String, on runner: some QueryRunner) async throws -> NodeStatus? {
        try await query(where: node, lock: false, on: runner).first
    }

    /// One node, its row locked for the rest of the caller's transaction: what an operation decides
    /// from it cannot be changed under it by the node's own heartbeat.
    func lockedStatus(of node: String, on connection: PostgresConnection) async throws -> NodeStatus? {
        try await query(where: node, lock: true, on: connection).first
    }

    func query(where node: String?, lock: Bool, on runner: some QueryRunner) async throws -> [NodeStatus] {
        let heartbeating = NodeState.heartbeating.texts
        let stopped = [NodeState.offline, .decommissioned].texts
        var query: PostgresQuery = try """
            SELECT node_id, name, host, http_port, https_port, websocket_port, software_version,
                   CASE WHEN state = ANY(\(heartbeating)) AND last_seen < now() - steward_offline_after()
                        THEN \(NodeState.offline) ELSE state END,
                   CASE WHEN state = ANY(\(heartbeating)) AND last_seen < now() - steward_offline_after()
                        THEN 'not seen for ' || EXTRACT(EPOCH FROM now() - last_seen)::int || 's' ELSE state_detail END,
                   started_at, last_seen, EXTRACT(EPOCH FROM now() - last_seen)::float8, clock_skew_ms,
                   CASE WHEN stopped_at IS NULL AND NOT state = ANY(\(stopped))
                        THEN EXTRACT(EPOCH FROM now() - started_at)::int END,
                   requests_in_flight, agents_connected, drain_requested_at IS NOT NULL, incarnation, stopped_at IS NOT NULL
            FROM nodes
            WHERE \(node)::text IS NULL OR name = \(node)::text OR node_id::text = lower(\(node)::text)
            ORDER BY name
            """
        if lock { query.sql += " FOR UPDATE" }
        return try await runner.run(query, logger: logger).map { row in
            let (id, name, host, http, https, ws, version, state, detail, started, seen, since, skew, uptime, inFlight, agents, drain, incarnation, stopped) = try row.decode(
                (UUID, String, String, Int, Int, Int, String, NodeState, String, Date, Date, Double, Int, Int?, Int, Int, Bool, Int64, Bool).self)
            return NodeStatus(
                nodeID: NodeID(id), name: name, host: host, httpPort: http, httpsPort: https, webSocketPort: ws, softwareVersion: version,
                state: state.display(detail: detail), stateCode: state, detail: detail, startedAt: started, lastSeen: seen,
                secondsSinceSeen: since, clockSkewMilliseconds: skew, uptimeSeconds: uptime, requestsInFlight: inFlight,
                agentsConnected: agents, drainRequested: drain, incarnation: Incarnation(incarnation), stopped: stopped)
        }
    }

    /// Nodes that may still be using the cluster's appdata: not cleanly stopped, not decommissioned,
    /// and seen in the last 30 seconds, on database time. The appdata migration refuses then.
    public func recentlyActive(on runner: some QueryRunner) async throws -> [NodeStatus] {
        try await statuses(on: runner).filter { $0.stateCode.isMember && $0.secondsSinceSeen < 30 && !$0.stopped }
    }
}
