import PostgresNIO

extension NodeRepository {
    /// Nodes that are not stopped and have heartbeat in the last 30 seconds, on database time:
    /// the nodes that may still be using the cluster's appdata (the appdata migration refuses then).
    public func recentlyActive(on runner: some QueryRunner) async throws -> [NodeRecord] {
        try await records("""
            SELECT node_id, name, host, http_port, https_port, websocket_port, software_version, state,
                   started_at, last_seen, stopped_at
            FROM nodes WHERE state <> 'stopped' AND last_seen > now() - interval '30 seconds'
            ORDER BY name
            """, on: runner)
    }
}
