import Foundation
import Logging
import PostgresNIO
import StewardModel

/// What operators do to other nodes: drain, decommission. Both audited in the same transaction.
extension NodeRepository {
    public enum OperationRefusal: Error, Equatable, CustomStringConvertible {
        case notFound(String)
        case isSelf(String)
        case stillRunning(name: String, state: String)
        case alreadyDecommissioned(String)
        case notOnline(name: String, state: String)

        public var description: String {
            switch self {
            case .notFound(let node): return "no node named or numbered \(node)"
            case .isSelf(let name): return "\(name) is the node answering this request; a node cannot decommission itself: ask another node"
            case .stillRunning(let name, let state):
                return "\(name) is \(state); only an offline node can be decommissioned: drain it and stop it first"
            case .alreadyDecommissioned(let name): return "\(name) is already decommissioned"
            case .notOnline(let name, let state): return "\(name) is \(state); only an online node can be drained"
            }
        }
    }

    /// Asks a node to drain; it acts on its next heartbeat.
    public func requestDrain(_ node: String, offlineAfter: Duration, actor: String, observer: String, source: String?,
                             on connection: PostgresConnection) async throws -> NodeStatus {
        guard let status = try await status(of: node, offlineAfter: offlineAfter, on: connection) else { throw OperationRefusal.notFound(node) }
        guard status.stateCode == "online" else { throw OperationRefusal.notOnline(name: status.name, state: status.state) }
        try await connection.run("""
            UPDATE nodes SET drain_requested_at = coalesce(drain_requested_at, now()) WHERE node_id = \(status.nodeID.uuid)
            """, logger: logger)
        try await AuditRepository(logger: logger).record(
            .init(actor: actor, action: "node.drain", target: status.name, node: observer, sourceAddress: source), on: connection)
        return try await self.status(of: status.nodeID.description, offlineAfter: offlineAfter, on: connection) ?? status
    }

    /// Decommissions an offline node, from another node. The row stays (state decommissioned) for the record.
    public func decommission(_ node: String, requestedOn observerID: NodeID, offlineAfter: Duration, actor: String, observer: String,
                             source: String?, on connection: PostgresConnection) async throws -> NodeStatus {
        guard let status = try await status(of: node, offlineAfter: offlineAfter, on: connection) else { throw OperationRefusal.notFound(node) }
        if status.nodeID == observerID { throw OperationRefusal.isSelf(status.name) }
        if status.stateCode == "decommissioned" { throw OperationRefusal.alreadyDecommissioned(status.name) }
        guard ["offline", "upgrade_required"].contains(status.stateCode) else {
            throw OperationRefusal.stillRunning(name: status.name, state: status.state)
        }
        try await connection.run("""
            UPDATE nodes SET state = 'decommissioned', state_detail = \("by \(actor)"), state_changed_at = now()
            WHERE node_id = \(status.nodeID.uuid)
            """, logger: logger)
        try await AuditRepository(logger: logger).record(
            .init(actor: actor, action: "node.decommission", target: status.name, node: observer, sourceAddress: source,
                  details: ["was": status.state]), on: connection)
        return try await self.status(of: status.nodeID.description, offlineAfter: offlineAfter, on: connection) ?? status
    }
}
