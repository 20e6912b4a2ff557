import Foundation
import Logging
import PostgresNIO
import StewardModel

/// What one heartbeat learned, all on database time.
public struct HeartbeatRow: Sendable {
    /// The row's state before this heartbeat.
    public let previousState: String
    /// The database had not seen this node for `offlineAfter`, or another node marked it offline.
    public let wasDeclaredOffline: Bool
    public let drainRequested: Bool
    public let databaseTime: Date
    public let clusterSoftwareVersion: String
    public let clusterSchemaVersion: Int
}

/// This node's own measures, published with each heartbeat for the status views.
public struct NodeFigures: Sendable {
    public var clockSkewMilliseconds: Int
    public var requestsInFlight: Int
    public var agentsConnected: Int

    public init(clockSkewMilliseconds: Int, requestsInFlight: Int, agentsConnected: Int) {
        self.clockSkewMilliseconds = clockSkewMilliseconds
        self.requestsInFlight = requestsInFlight
        self.agentsConnected = agentsConnected
    }
}

extension NodeRepository {
    /// `last_seen = now()` for this node, and what the cluster thinks of it; nil when the row is gone.
    public func heartbeat(_ nodeID: NodeID, offlineAfter: Duration, figures: NodeFigures, on runner: some QueryRunner) async throws -> HeartbeatRow? {
        let seconds = offlineAfter.inSeconds
        let rows = try await runner.run("""
            WITH previous AS (
                SELECT state, last_seen < now() - make_interval(secs => \(seconds)) AS stale, drain_requested_at IS NOT NULL AS drain
                FROM nodes WHERE node_id = \(nodeID.uuid) FOR UPDATE
            ), beat AS (
                UPDATE nodes SET last_seen = now(), clock_skew_ms = \(figures.clockSkewMilliseconds),
                       requests_in_flight = \(figures.requestsInFlight), agents_connected = \(figures.agentsConnected)
                WHERE node_id = \(nodeID.uuid) AND state <> 'decommissioned'
            )
            SELECT p.state, p.stale OR p.state = 'offline', p.drain, now(), c.software_version, c.schema_version
            FROM previous p CROSS JOIN cluster c
            """, logger: logger)
        guard let row = rows.first else { return nil }
        let (state, declared, drain, time, software, schema) = try row.decode((String, Bool, Bool, Date, String, Int).self)
        return HeartbeatRow(previousState: state, wasDeclaredOffline: declared, drainRequested: drain, databaseTime: time,
                            clusterSoftwareVersion: software, clusterSchemaVersion: schema)
    }

    /// Marks nodes not seen for `offlineAfter` as offline and audits each change once (however many
    /// nodes notice at the same moment, the row changes once). Returns their names.
    @discardableResult
    public func markSilentNodesOffline(observer: String, offlineAfter: Duration, on runner: some QueryRunner) async throws -> [String] {
        let seconds = offlineAfter.inSeconds
        return try await runner.run("""
            WITH silent AS (
                UPDATE nodes SET state = 'offline', state_detail = 'no heartbeat', state_changed_at = now()
                WHERE state IN ('joining', 'online', 'draining') AND last_seen < now() - make_interval(secs => \(seconds))
                RETURNING name, EXTRACT(EPOCH FROM now() - last_seen)::int AS silent_for
            ), audited AS (
                INSERT INTO audit_log (actor, action, target, node_name, details)
                SELECT \(observer), 'node.offline', name, \(observer), jsonb_build_object('reason', 'no heartbeat for ' || silent_for || 's')
                FROM silent
            )
            SELECT name FROM silent
            """, logger: logger).map { try $0.decode(String.self) }
    }

    /// Writes this node's state; audits it (`node.<state>`) when it changed. Never overwrites decommissioned.
    public func recordState(_ nodeID: NodeID, state: String, detail: String, on runner: some QueryRunner) async throws {
        try await runner.run("""
            WITH previous AS (SELECT name, state FROM nodes WHERE node_id = \(nodeID.uuid) FOR UPDATE),
            changed AS (
                UPDATE nodes SET state = \(state), state_detail = \(detail), state_changed_at = now(), last_seen = now()
                WHERE node_id = \(nodeID.uuid) AND state <> 'decommissioned'
                  AND (state <> \(state) OR state_detail <> \(detail))
                RETURNING name
            )
            INSERT INTO audit_log (actor, action, target, node_name, details)
            SELECT p.name, 'node.' || \(state), p.name, p.name, jsonb_build_object('from', p.state, 'detail', \(detail))
            FROM previous p JOIN changed USING (name) WHERE p.state <> \(state)
            """, logger: logger)
    }
}
