import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel
import StewardTesting
import Testing

@Suite("Node rows: joining, heartbeats, limits, drain, decommission")
struct NodeRepositoryTests {
    func registration(_ name: String, host: String = "host-a") -> NodeRegistration {
        NodeRegistration(name: name, host: host, httpPort: 8080, httpsPort: 8443, webSocketPort: 7919,
                         softwareVersion: StewardVersion.current, pid: 42)
    }

    func register(_ database: TestDatabase, _ node: NodeRegistration, maxNodes: Int = 20, rejoin: Bool = false) async throws -> NodeID {
        try await database.withConnection { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                try await NodeRepository(logger: logger).register(
                    node, rules: JoinRules(activeWithin: .seconds(12), maxNodes: maxNodes, rejoin: rejoin), on: connection)
            }
        }
    }

    func statuses(_ database: TestDatabase, offlineAfter: Duration = .seconds(12)) async throws -> [String: NodeStatus] {
        try await database.withConnection { connection, logger in
            let list = try await NodeRepository(logger: logger).statuses(offlineAfter: offlineAfter, on: connection)
            return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
        }
    }

    /// A cluster row, which heartbeats read.
    func makeCluster(_ database: TestDatabase) async throws {
        _ = try await migrate(database)
        try await database.withConnection { connection, logger in
            _ = try await ClusterRepository(logger: logger).create(id: ClusterID(), schemaVersion: Migrations.latestVersion,
                                                                   softwareVersion: StewardVersion.current, on: connection)
        }
    }

    @Test("a node keeps its id across restarts; it joins as 'registering (3/4)'; heartbeats publish its figures")
    func registerAndHeartbeat() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            let first = try await register(database, registration("node-1"))
            #expect(try await register(database, registration("node-1")) == first)
            #expect(try await statuses(database)["node-1"]?.state == "joining: registering (3/4)")
            let row = try await database.withConnection { connection, logger in
                try await NodeRepository(logger: logger).heartbeat(
                    first, offlineAfter: .seconds(12), figures: NodeFigures(clockSkewMilliseconds: 1500, requestsInFlight: 2, agentsConnected: 7),
                    on: connection)
            }
            #expect(row?.wasDeclaredOffline == false)
            #expect(row?.clusterSoftwareVersion == StewardVersion.current.description)
            let status = try #require(try await statuses(database)["node-1"])
            #expect(status.clockSkewMilliseconds == 1500)
            #expect(status.agentsConnected == 7)
            #expect(status.requestsInFlight == 2)
        }
    }

    @Test("a name in use by another host is refused until that node stops")
    func nameConflict() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            let id = try await register(database, registration("node-1", host: "host-a"))
            await #expect(throws: (any Error).self) { _ = try await register(database, registration("node-1", host: "host-b")) }
            try await database.withConnection { connection, logger in try await NodeRepository(logger: logger).markStopped(id, on: connection) }
            #expect(try await register(database, registration("node-1", host: "host-b")) == id)
        }
    }

    @Test("the size limit is exact, a refused join leaves no row, and decommissioned nodes do not count")
    func sizeLimit() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            for index in 1...3 { _ = try await register(database, registration("node-\(index)"), maxNodes: 3) }
            do {
                _ = try await register(database, registration("node-4"), maxNodes: 3)
                Issue.record("a fourth node joined a cluster limited to three")
            } catch {
                #expect("\(DatabaseError.readable(error))".contains("the cluster already has 3 nodes, its limit (cluster.max.nodes = 3)"))
            }
            #expect(try await statuses(database)["node-4"] == nil)
            try await database.execute("UPDATE nodes SET state = 'decommissioned' WHERE name = 'node-2'")
            _ = try await register(database, registration("node-4"), maxNodes: 3)
        }
    }

    @Test("a decommissioned node is refused unless it rejoins explicitly, and the rejoin is audited")
    func decommissionedRejoin() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            _ = try await register(database, registration("node-1"))
            try await database.execute("UPDATE nodes SET state = 'decommissioned'")
            do {
                _ = try await register(database, registration("node-1"))
                Issue.record("a decommissioned node joined without --rejoin")
            } catch {
                #expect("\(DatabaseError.readable(error))".contains("was decommissioned; to bring it back, start it with --rejoin"))
            }
            _ = try await register(database, registration("node-1"), rejoin: true)
            let actions = try await database.withConnection { connection, logger in
                try await connection.query("SELECT action FROM audit_log ORDER BY audit_id", logger: logger).collect().map { try $0.decode(String.self) }
            }
            #expect(actions == ["node.join", "node.rejoin"])
        }
    }

    @Test("a silent node shows offline at once, is marked offline by one observer, and the change is audited once")
    func silentNodes() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            _ = try await register(database, registration("quiet"))
            _ = try await register(database, registration("lively"))
            try await database.execute("UPDATE nodes SET state = 'online', last_seen = now() - interval '20 seconds' WHERE name = 'quiet'")
            try await database.execute("UPDATE nodes SET state = 'online' WHERE name = 'lively'")
            let before = try await statuses(database)
            #expect(before["quiet"]?.stateCode == "offline")
            #expect(before["quiet"]?.detail.hasPrefix("not seen for") == true)
            #expect(before["lively"]?.stateCode == "online")
            let marked = try await withThrowingTaskGroup(of: [String].self) { group in
                for observer in ["a", "b", "c"] {
                    group.addTask {
                        try await database.withConnection { connection, logger in
                            try await NodeRepository(logger: logger).markSilentNodesOffline(observer: observer, offlineAfter: .seconds(12), on: connection)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(marked == ["quiet"])
            let audited = try await database.withConnection { connection, logger in
                try await connection.query("SELECT count(*)::int FROM audit_log WHERE action = 'node.offline'", logger: logger).collect().first?.decode(Int.self)
            }
            #expect(audited == 1)
        }
    }

    @Test("drain needs an online node; decommission needs an offline one, never the node asked")
    func operations() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            let a = try await register(database, registration("node-a"))
            _ = try await register(database, registration("node-b"))
            try await database.execute("UPDATE nodes SET state = 'online'")
            func attempt(_ body: @escaping @Sendable (NodeRepository, PostgresConnection) async throws -> NodeStatus) async throws -> String {
                do {
                    let status: NodeStatus = try await database.withConnection { (connection: PostgresConnection, logger: Logger) async throws -> NodeStatus in
                        try await body(NodeRepository(logger: logger), connection)
                    }
                    return status.state
                } catch {
                    guard let refusal = error as? NodeRepository.OperationRefusal else { throw error }
                    return "\(refusal)"
                }
            }
            let decommissionOnline = try await attempt { try await $0.decommission("node-b", requestedOn: a, offlineAfter: .seconds(12), actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(decommissionOnline.contains("node-b is online; only an offline node can be decommissioned"))
            let decommissionSelf = try await attempt { try await $0.decommission("node-a", requestedOn: a, offlineAfter: .seconds(12), actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(decommissionSelf.contains("node-a is the node answering this request"))
            let drained = try await attempt { try await $0.requestDrain("node-b", offlineAfter: .seconds(12), actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(drained == "online")
            #expect(try await statuses(database)["node-b"]?.drainRequested == true)
            try await database.execute("UPDATE nodes SET state = 'offline', state_detail = 'drained' WHERE name = 'node-b'")
            let decommissioned = try await attempt { try await $0.decommission("node-b", requestedOn: a, offlineAfter: .seconds(12), actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(decommissioned == "decommissioned")
            let missing = try await attempt { try await $0.requestDrain("node-z", offlineAfter: .seconds(12), actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(missing == "no node named or numbered node-z")
        }
    }
}
