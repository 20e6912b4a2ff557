import Foundation
import Logging
import PostgresNIO
import StewardModel

/// What operators do to other nodes: drain, decommission. Each is compare-and-set on the node's
/// row under its lock (the node's own heartbeat waits), and audited in the same transaction.
extension NodeRepository {
    public enum OperationRefusal: Error, Equatable, CustomStringConvertible {
        case notFound(String)
        case isSelf(String)
        case stillRunning(name: String, state: String)
        case recentlySeen(name: String, seconds: Int)
        case alreadyDecommissioned(String)
        case notOnline(name: String, state: String)

        public var description: String {
            switch self {
            case .notFound(let node): return "no node named or numbered \(node)"
            case .isSelf(let name): return "\(name) is the node answering this request; a node cannot decommission itself: ask another node"
            case .stillRunning(let name, let state):
                return "\(name) is \(state); only an offline node can be decommissioned: drain it and stop it first"
            case .recentlySeen(let name, let seconds):
                return "\(name) was seen \(seconds)s ago, so it is still running (or rejoining); stop it first, or decommission it once it has been silent for cluster.node.offline.after"
            case .alreadyDecommissioned(let name): return "\(name) is already decommissioned"
            case .notOnline(let name, let state): return "\(name) is \(state); only an online node can be drained"
            }
        }
    }

    /// Asks a node to drain; it acts on its next heartbeat.
    public func requestDrain(_ node: String, actor: String, observer: String, source: String?,
                             on connection: PostgresConnection) async throws -> NodeStatus {
        guard let status = try await lockedStatus(of: node, on: connection) else { throw OperationRefusal.notFound(node) }
        guard status.stateCode == .online else { throw OperationRefusal.notOnline(name: status.name, state: status.state) }
        try await connection.run("""
            UPDATE nodes SET drain_requested_at = coalesce(drain_requested_at, now())
            WHERE node_id = \(status.nodeID.uuid) AND incarnation = \(status.incarnation.value)
            """, logger: logger)
        try await AuditRepository(logger: logger).record(
            .init(actor: actor, action: "node.drain", target: status.name, node: observer, sourceAddress: source), on: connection)
        return try await self.status(of: status.nodeID.description, on: connection) ?? status
    }

    /// Decommissions an offline node, from another node. The row stays (state decommissioned) for the
    /// record, with a new incarnation: should the old process wake up, its next write is refused.
    public func decommission(_ node: String, requestedOn observerID: NodeID, actor: String, observer: String,
                             source: String?, on connection: PostgresConnection) async throws -> NodeStatus {
        guard let status = try await lockedStatus(of: node, on: connection) else { throw OperationRefusal.notFound(node) }
        if status.nodeID == observerID { throw OperationRefusal.isSelf(status.name) }
        if status.stateCode == .decommissioned { throw OperationRefusal.alreadyDecommissioned(status.name) }
        guard status.stateCode == .offline || status.stateCode == .upgradeRequired else {
            throw OperationRefusal.stillRunning(name: status.name, state: status.state)
        }
        // Marked offline by the others, but heartbeating again: it is on its way back in. (A node that
        // needs an upgrade may be decommissioned while it runs: it takes no work, and is fenced at once.)
        let offlineAfter = try await connection.run("SELECT EXTRACT(EPOCH FROM steward_offline_after())::float8", logger: logger)
            .first?.decode(Double.self) ?? 12
        if status.stateCode == .offline, !status.stopped, status.secondsSinceSeen < offlineAfter {
            throw OperationRefusal.recentlySeen(name: status.name, seconds: Int(status.secondsSinceSeen))
        }
        try await connection.run("""
            UPDATE nodes SET state = \(NodeState.decommissioned), state_detail = \("by \(actor)"), state_changed_at = now(),
                   incarnation = nextval('node_incarnations')
            WHERE node_id = \(status.nodeID.uuid) AND incarnation = \(status.incarnation.value)
            """, logger: logger)
        try await AuditRepository(logger: logger).record(
            .init(actor: actor, action: "node.decommission", target: status.name, node: observer, sourceAddress: source,
                  details: ["was": status.state, "incarnation": status.incarnation.description]), on: connection)
        return try await self.status(of: status.nodeID.description, on: connection) ?? status
    }
}
