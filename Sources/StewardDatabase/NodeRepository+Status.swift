import Foundation
import Logging
import PostgresNIO
import StewardModel

/// Nodes as the cluster sees them now: a node that claims to be up but has not been seen for
/// `offlineAfter` shows as offline, computed on database time at read, whoever marked it.
extension NodeRepository {
    public func statuses(offlineAfter: Duration, on runner: some QueryRunner) async throws -> [NodeStatus] {
        try await query(offlineAfter: offlineAfter, where: nil, on: runner)
    }

    /// One node, by id or by name.
    public func status(of node: String, offlineAfter: Duration, on runner: some QueryRunner) async throws -> NodeStatus? {
        try await query(offlineAfter: offlineAfter, where: node, on: runner).first
    }

    func query(offlineAfter: Duration, where node: String?, on runner: some QueryRunner) async throws -> [NodeStatus] {
        let seconds = offlineAfter.inSeconds
        return try await runner.run("""
            SELECT node_id, name, host, http_port, https_port, websocket_port, software_version,
                   CASE WHEN state IN ('joining', 'online', 'draining') AND last_seen < now() - make_interval(secs => \(seconds))
                        THEN 'offline' ELSE state END,
                   CASE WHEN state IN ('joining', 'online', 'draining') AND last_seen < now() - make_interval(secs => \(seconds))
                        THEN 'not seen for ' || EXTRACT(EPOCH FROM now() - last_seen)::int || 's' ELSE state_detail END,
                   started_at, last_seen, EXTRACT(EPOCH FROM now() - last_seen)::float8, clock_skew_ms,
                   CASE WHEN stopped_at IS NULL AND state NOT IN ('offline', 'decommissioned')
                        THEN EXTRACT(EPOCH FROM now() - started_at)::int END,
                   requests_in_flight, agents_connected, drain_requested_at IS NOT NULL
            FROM nodes
            WHERE \(node)::text IS NULL OR name = \(node)::text OR node_id::text = lower(\(node)::text)
            ORDER BY name
            """, logger: logger).map { row in
            let (id, name, host, http, https, ws, version, code, detail, started, seen, since, skew, uptime, inFlight, agents, drain) = try row.decode(
                (UUID, String, String, Int, Int, Int, String, String, String, Date, Date, Double, Int, Int?, Int, Int, Bool).self)
            return NodeStatus(
                nodeID: NodeID(id), name: name, host: host, httpPort: http, httpsPort: https, webSocketPort: ws, softwareVersion: version,
                state: Self.display(code: code, detail: detail), stateCode: code, detail: detail, startedAt: started, lastSeen: seen,
                secondsSinceSeen: since, clockSkewMilliseconds: skew, uptimeSeconds: uptime, requestsInFlight: inFlight,
                agentsConnected: agents, drainRequested: drain)
        }
    }

    static func display(code: String, detail: String) -> String {
        switch code {
        case "joining": return detail.isEmpty ? "joining" : "joining: \(detail)"
        case "upgrade_required": return "offline (upgrade required)"
        default: return code
        }
    }

    /// Nodes that may still be using the cluster's appdata: running (not stopped, not decommissioned)
    /// and seen in the last 30 seconds, on database time. The appdata migration refuses then.
    public func recentlyActive(on runner: some QueryRunner) async throws -> [NodeStatus] {
        try await statuses(offlineAfter: .seconds(30), on: runner).filter {
            $0.stateCode != "decommissioned" && $0.secondsSinceSeen < 30 && !($0.stateCode == "offline" && $0.detail == "stopped")
        }
    }
}
