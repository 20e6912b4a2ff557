import Foundation
import Logging
import PostgresNIO
import StewardModel

/// What one heartbeat learned, all on database time.
public struct HeartbeatRow: Sendable {
    /// The row's state before this heartbeat.
    public let previousState: NodeState
    /// The row's incarnation: when it is not the heartbeat's, nothing was written (the process is fenced).
    public let currentIncarnation: Incarnation
    /// The database had not seen this node for the cluster's offline limit, or another node marked it offline.
    public let wasDeclaredOffline: Bool
    public let drainRequested: Bool
    public let databaseTime: Date
    public let clusterSoftwareVersion: String
    public let clusterSchemaVersion: Int
    /// Changes whenever a cluster setting does: a node reloads its settings when it sees a new one.
    public let settingsVersion: Int64
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

/// A state change, or a heartbeat, that the database refused because the process is no longer
/// the node's current incarnation (it was replaced, or decommissioned while it was away).
public struct IncarnationFenced: Error, Equatable, CustomStringConvertible {
    public let mine: Incarnation
    public let current: Incarnation?
    public let rowState: NodeState?

    public init(mine: Incarnation, current: Incarnation?, rowState: NodeState?) {
        self.mine = mine
        self.current = current
        self.rowState = rowState
    }

    public var description: String {
        if rowState == .decommissioned { return "this process (incarnation \(mine)) was decommissioned while it was away" }
        if let current { return "another start of this node (incarnation \(current)) has replaced this process (incarnation \(mine))" }
        return "this node's row is gone"
    }
}

extension NodeRepository {
    /// `last_seen = now()` for this incarnation, and what the cluster thinks of the node; nil when the row is gone.
    /// A heartbeat of a stale incarnation writes nothing and says so through `currentIncarnation`.
    public func heartbeat(_ nodeID: NodeID, incarnation: Incarnation, figures: NodeFigures, on runner: some QueryRunner) async throws -> HeartbeatRow? {
        let rows = try await runner.run("""
            WITH previous AS (
                SELECT state, incarnation, last_seen < now() - steward_offline_after() AS stale, drain_requested_at IS NOT NULL AS drain
                FROM nodes WHERE node_id = \(nodeID.uuid) FOR UPDATE
            ), beat AS (
                UPDATE nodes SET last_seen = now(), clock_skew_ms = \(figures.clockSkewMilliseconds),
                       requests_in_flight = \(figures.requestsInFlight), agents_connected = \(figures.agentsConnected)
                WHERE node_id = \(nodeID.uuid) AND incarnation = \(incarnation.value) AND state <> \(NodeState.decommissioned)
            )
            SELECT p.state, p.incarnation, p.stale OR p.state = \(NodeState.offline), p.drain, now(),
                   c.software_version, c.schema_version, c.settings_version
            FROM previous p CROSS JOIN cluster c
            """, logger: logger)
        guard let row = rows.first else { return nil }
        let (state, current, declared, drain, time, software, schema, settings) = try row.decode(
            (NodeState, Int64, Bool, Bool, Date, String, Int, Int64).self)
        return HeartbeatRow(previousState: state, currentIncarnation: Incarnation(current), wasDeclaredOffline: declared,
                            drainRequested: drain, databaseTime: time, clusterSoftwareVersion: software,
                            clusterSchemaVersion: schema, settingsVersion: settings)
    }

    /// Marks nodes not seen for the cluster's offline limit as offline and audits each change once
    /// (however many nodes notice at the same moment, the row changes once). Returns their names.
    @discardableResult
    public func markSilentNodesOffline(observer: String, on runner: some QueryRunner) async throws -> [String] {
        try await runner.run("""
            WITH silent AS (
                UPDATE nodes SET state = \(NodeState.offline), state_detail = 'no heartbeat', state_changed_at = now()
                WHERE state = ANY(\(NodeState.heartbeating.texts)) AND last_seen < now() - steward_offline_after()
                RETURNING name, EXTRACT(EPOCH FROM now() - last_seen)::int AS silent_for
            ), audited AS (
                INSERT INTO audit_log (actor, action, target, node_name, details)
                SELECT \(observer), 'node.offline', name, \(observer), jsonb_build_object('reason', 'no heartbeat for ' || silent_for || 's')
                FROM silent
            )
            SELECT name FROM silent
            """, logger: logger).map { try $0.decode(String.self) }
    }

    /// Writes this incarnation's state, compare-and-set under the row lock; audits it (`node.<state>`)
    /// when it changed. Throws `IncarnationFenced` when the row belongs to another incarnation (or is
    /// decommissioned): the stale process overwrites nothing.
    public func recordState(_ nodeID: NodeID, incarnation: Incarnation, state: NodeState, detail: String,
                            on runner: some QueryRunner) async throws {
        let rows = try await runner.run("""
            WITH previous AS (SELECT name, state, incarnation FROM nodes WHERE node_id = \(nodeID.uuid) FOR UPDATE),
            changed AS (
                UPDATE nodes SET state = \(state), state_detail = \(detail), state_changed_at = now(), last_seen = now()
                WHERE node_id = \(nodeID.uuid) AND incarnation = \(incarnation.value) AND state <> \(NodeState.decommissioned)
                  AND (state <> \(state) OR state_detail <> \(detail))
                RETURNING name
            ), audited AS (
                INSERT INTO audit_log (actor, action, target, node_name, details)
                SELECT p.name, 'node.' || \(state), p.name, p.name, jsonb_build_object('from', p.state, 'detail', \(detail))
                FROM previous p JOIN changed USING (name) WHERE p.state <> \(state)
            )
            SELECT state, incarnation FROM previous
            """, logger: logger)
        guard let row = rows.first else { throw IncarnationFenced(mine: incarnation, current: nil, rowState: nil) }
        let (rowState, current) = try row.decode((NodeState, Int64).self)
        if current != incarnation.value || rowState == .decommissioned {
            throw IncarnationFenced(mine: incarnation, current: Incarnation(current), rowState: rowState)
        }
    }
}
