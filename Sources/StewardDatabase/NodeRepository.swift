import Foundation
import Logging
import PostgresNIO
import StewardModel

/// What a starting node tells the cluster about itself.
public struct NodeRegistration: Sendable {
    public var name: String
    public var host: String
    public var httpPort: Int
    public var httpsPort: Int
    public var webSocketPort: Int
    public var softwareVersion: SoftwareVersion
    public var pid: Int32

    public init(name: String, host: String, httpPort: Int, httpsPort: Int, webSocketPort: Int, softwareVersion: SoftwareVersion, pid: Int32) {
        self.name = name
        self.host = host
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.webSocketPort = webSocketPort
        self.softwareVersion = softwareVersion
        self.pid = pid
    }
}

/// The rules a joining node must pass.
public struct JoinRules: Sendable {
    /// A name used by another host within this window is taken.
    public var activeWithin: Duration
    /// The cluster refuses to grow past this many nodes (decommissioned ones do not count).
    public var maxNodes: Int
    /// A decommissioned node may come back only when its operator says so (`--rejoin`).
    public var rejoin: Bool

    public init(activeWithin: Duration, maxNodes: Int, rejoin: Bool = false) {
        self.activeWithin = activeWithin
        self.maxNodes = maxNodes
        self.rejoin = rejoin
    }
}

/// The `nodes` table: one row per node, written by the node itself (its state and heartbeat),
/// by operators (drain, decommission) and by any node that notices another has gone quiet.
public struct NodeRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    /// What registering gave this start of the node: its id (stable across restarts) and a new incarnation.
    public struct Registered: Sendable, Equatable {
        public let nodeID: NodeID
        public let incarnation: Incarnation
    }

    /// Inserts or takes over this node's row (state joining, registering 3/4) with a new incarnation,
    /// inside the caller's transaction, which must hold the schema lock: that serializes joins, so the
    /// size limit is exact. Any older process of this node is fenced from here on.
    public func register(_ node: NodeRegistration, rules: JoinRules, on connection: PostgresConnection) async throws -> Registered {
        let existing = try await connection.run("""
            SELECT node_id, host, state, stopped_at IS NULL, EXTRACT(EPOCH FROM now() - last_seen)::float8
            FROM nodes WHERE name = \(node.name) FOR UPDATE
            """, logger: logger).first
        var nodeID = UUID()
        var action = "node.join"
        if let existing {
            let (id, host, state, running, age) = try existing.decode((UUID, String, NodeState, Bool, Double).self)
            if state == .decommissioned, !rules.rejoin {
                throw DatabaseError(.query,
                    "node \(node.name) was decommissioned; to bring it back, start it with --rejoin (or give it another server.node.name)")
            }
            if host != node.host, running, state != .decommissioned, age < rules.activeWithin.inSeconds {
                throw DatabaseError(.query,
                    "node name \(node.name) is in use by host \(host), seen \(Int(age))s ago; give this node its own server.node.name")
            }
            nodeID = id
            action = state == .decommissioned ? "node.rejoin" : "node.restart"
        }
        let members = try await connection.run("""
            SELECT count(*)::int FROM nodes WHERE state <> \(NodeState.decommissioned) AND node_id <> \(nodeID)
            """, logger: logger).first?.decode(Int.self) ?? 0
        if members >= rules.maxNodes {
            throw DatabaseError(.query,
                "the cluster already has \(members) nodes, its limit (cluster.max.nodes = \(rules.maxNodes)); decommission an offline node first (stewardctl cluster nodes delete NODE)")
        }
        let detail = NodeJoinStep.registering.detail
        let incarnation = try await connection.run("""
            INSERT INTO nodes (node_id, name, host, http_port, https_port, websocket_port, software_version, state, state_detail, pid)
            VALUES (\(nodeID), \(node.name), \(node.host), \(node.httpPort), \(node.httpsPort), \(node.webSocketPort),
                    \(node.softwareVersion.description), \(NodeState.joining), \(detail), \(Int(node.pid)))
            ON CONFLICT (node_id) DO UPDATE SET
                host = EXCLUDED.host, http_port = EXCLUDED.http_port, https_port = EXCLUDED.https_port,
                websocket_port = EXCLUDED.websocket_port, software_version = EXCLUDED.software_version,
                state = EXCLUDED.state, state_detail = EXCLUDED.state_detail, state_changed_at = now(), pid = EXCLUDED.pid,
                started_at = now(), last_seen = now(), stopped_at = NULL, drain_requested_at = NULL,
                incarnation = nextval('node_incarnations')
            RETURNING incarnation
            """, logger: logger).first?.decode(Int64.self)
        guard let incarnation else { throw DatabaseError(.query, "registering node \(node.name) returned no incarnation") }
        try await AuditRepository(logger: logger).record(
            .init(actor: node.name, action: action, target: node.name, node: node.name, sourceAddress: nil,
                  details: ["host": node.host, "version": node.softwareVersion.description, "incarnation": String(incarnation)]),
            on: connection)
        return Registered(nodeID: NodeID(nodeID), incarnation: Incarnation(incarnation))
    }

    /// A cleanly stopped node: offline, and not running (so the appdata migration may proceed).
    /// Only this incarnation's row is touched: a replaced process cannot mark its successor stopped.
    @discardableResult
    public func markStopped(_ nodeID: NodeID, incarnation: Incarnation, on runner: some QueryRunner) async throws -> Bool {
        try await runner.run("""
            UPDATE nodes SET state = \(NodeState.offline), state_detail = 'stopped', state_changed_at = now(), stopped_at = now(), last_seen = now()
            WHERE node_id = \(nodeID.uuid) AND incarnation = \(incarnation.value) AND state <> \(NodeState.decommissioned)
            RETURNING 1
            """, logger: logger).count == 1
    }
}
