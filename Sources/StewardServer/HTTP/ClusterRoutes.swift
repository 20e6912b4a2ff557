import Hummingbird
import PostgresNIO
import StewardDatabase
import StewardModel

/// `/api/v1/cluster`: info, summary, the nodes, and an operator's drain and decommission.
struct ClusterRoutes {
    let runtime: NodeRuntime

    var nodes: NodeRepository { NodeRepository(logger: runtime.logger) }

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("cluster/info") { _, _ -> ClusterInfo in
            let record = try await cluster()
            return ClusterInfo(
                clusterID: record.clusterID, nodeName: runtime.nodeName, nodeID: runtime.nodeID,
                softwareVersion: StewardVersion.current.description, schemaVersion: record.schemaVersion,
                clusterSoftwareVersion: record.softwareVersion.description)
        }
        api.get("cluster/summary") { _, _ -> ClusterSummary in
            let record = try await cluster()
            let statuses = try await statuses()
            return ClusterSummary(clusterID: record.clusterID, softwareVersion: record.softwareVersion.description,
                                  schemaVersion: record.schemaVersion, nodes: statuses)
        }
        api.get("cluster/nodes") { _, _ -> Response in
            let client = runtime.database, nodes = self.nodes
            let body = try await runtime.nodeStatuses.encodedStatuses({ try await nodes.statuses(on: client) }) { statuses in
                ByteBuffer(bytes: try AuthRoutes.encoder.encode(statuses))
            }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
        }
        api.get("cluster/nodes/{node}") { _, context -> NodeStatus in
            let node = try context.parameters.require("node")
            let client = runtime.database, nodes = self.nodes
            guard let status = try await nodes.status(of: node, on: client)
            else { throw APIError.notFound("no node named or numbered \(node)") }
            return status
        }
        api.post("cluster/nodes/{node}/drain") { request, context -> NodeStatus in
            try await operate(request, context) { node, actor, source, connection in
                try await nodes.requestDrain(node, actor: actor, observer: runtime.nodeName,
                                             source: source, on: connection)
            }
        }
        api.delete("cluster/nodes/{node}") { request, context -> NodeStatus in
            try await operate(request, context) { node, actor, source, connection in
                try await nodes.decommission(node, requestedOn: runtime.nodeID, actor: actor,
                                             observer: runtime.nodeName, source: source, on: connection)
            }
        }
    }

    /// The node list, at most a quarter second old (see `NodeStatusSnapshot`).
    func statuses() async throws -> [NodeStatus] {
        let client = runtime.database, nodes = self.nodes
        return try await runtime.nodeStatuses.statuses { try await nodes.statuses(on: client) }
    }

    func cluster() async throws -> ClusterRecord {
        let client = runtime.database
        let clusters = ClusterRepository(logger: runtime.logger)
        guard let record = try await clusters.fetch(on: client) else {
            throw APIError(status: .serviceUnavailable, message: "the cluster row is missing from the database")
        }
        return record
    }

    /// Runs a node operation in a transaction; its refusals become 404 or 409 with their reason.
    func operate(_ request: Request, _ context: StewardRequestContext,
                 _ body: @escaping @Sendable (String, String, String, PostgresNIO.PostgresConnection) async throws -> NodeStatus) async throws -> NodeStatus {
        let identity = try context.requireIdentity()
        let node = try context.parameters.require("node")
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        do {
            let status = try await runtime.transaction { connection in try await body(node, identity.username, source, connection) }
            runtime.nodeStatuses.invalidate()
            return status
        } catch let refusal as NodeRepository.OperationRefusal {
            if case .notFound = refusal { throw APIError.notFound(refusal.description) }
            throw APIError.conflict(refusal.description)
        }
    }
}
