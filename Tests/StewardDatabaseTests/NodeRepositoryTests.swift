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
        try await registered(database, node, maxNodes: maxNodes, rejoin: rejoin).nodeID
    }

    func registered(_ database: TestDatabase, _ node: NodeRegistration, maxNodes: Int = 20, rejoin: Bool = false) async throws -> NodeRepository.Registered {
        try await database.withConnection { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                try await NodeRepository(logger: logger).register(
                    node, rules: JoinRules(activeWithin: .seconds(12), maxNodes: maxNodes, rejoin: rejoin), on: connection)
            }
        }
    }

    func statuses(_ database: TestDatabase) async throws -> [String: NodeStatus] {
        try await database.withConnection { connection, logger in
            let list = try await NodeRepository(logger: logger).statuses(on: connection)
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
            let earlier = try await registered(database, registration("node-1"))
            let first = try await registered(database, registration("node-1"))
            #expect(first.nodeID == earlier.nodeID)
            #expect(first.incarnation > earlier.incarnation, "each start is a new incarnation")
            #expect(try await statuses(database)["node-1"]?.state == "joining: registering (3/4)")
            let row = try await database.withConnection { connection, logger in
                try await NodeRepository(logger: logger).heartbeat(
                    first.nodeID, incarnation: first.incarnation,
                    figures: NodeFigures(clockSkewMilliseconds: 1500, requestsInFlight: 2, agentsConnected: 7), on: connection)
            }
            #expect(row?.currentIncarnation == first.incarnation)
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
            let node = try await registered(database, registration("node-1", host: "host-a"))
            await #expect(throws: (any Error).self) { _ = try await register(database, registration("node-1", host: "host-b")) }
            try await database.withConnection { connection, logger in
                try await NodeRepository(logger: logger).markStopped(node.nodeID, incarnation: node.incarnation, on: connection)
            }
            #expect(try await register(database, registration("node-1", host: "host-b")) == node.nodeID)
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
            #expect(before["quiet"]?.stateCode == .offline)
            #expect(before["quiet"]?.detail.hasPrefix("not seen for") == true)
            #expect(before["lively"]?.stateCode == .online)
            let marked = try await withThrowingTaskGroup(of: [String].self) { group in
                for observer in ["a", "b", "c"] {
                    group.addTask {
                        try await database.withConnection { connection, logger in
                            try await NodeRepository(logger: logger).markSilentNodesOffline(observer: observer, on: connection)
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
            let decommissionOnline = try await attempt { try await $0.decommission("node-b", requestedOn: a, actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(decommissionOnline.contains("node-b is online; only an offline node can be decommissioned"))
            let decommissionSelf = try await attempt { try await $0.decommission("node-a", requestedOn: a, actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(decommissionSelf.contains("node-a is the node answering this request"))
            let drained = try await attempt { try await $0.requestDrain("node-b", actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(drained == "online")
            #expect(try await statuses(database)["node-b"]?.drainRequested == true)
            try await database.execute("UPDATE nodes SET state = 'offline', state_detail = 'drained' WHERE name = 'node-b'")
            let stillRunning = try await attempt { try await $0.decommission("node-b", requestedOn: a, actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(stillRunning.contains("so it is still running"), "drained, but not stopped: \(stillRunning)")
            try await database.execute("UPDATE nodes SET stopped_at = now() WHERE name = 'node-b'")
            let decommissioned = try await attempt { try await $0.decommission("node-b", requestedOn: a, actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(decommissioned == "decommissioned")
            let missing = try await attempt { try await $0.requestDrain("node-z", actor: "op", observer: "node-a", source: nil, on: $1) }
            #expect(missing == "no node named or numbered node-z")
        }
    }

    /// A process whose start is no longer the row's: what a paused-and-replaced or decommissioned
    /// process runs into on its next write.
    @Test("a stale incarnation's heartbeat, state change and stop write nothing, and say whose row it is now")
    func fencing() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            let old = try await registered(database, registration("node-1"))
            let new = try await registered(database, registration("node-1"))
            let figures = NodeFigures(clockSkewMilliseconds: 99, requestsInFlight: 99, agentsConnected: 99)
            try await database.execute("UPDATE nodes SET last_seen = now() - interval '5 seconds', state = 'online'")
            let row = try await database.withConnection { connection, logger in
                try await NodeRepository(logger: logger).heartbeat(old.nodeID, incarnation: old.incarnation, figures: figures, on: connection)
            }
            #expect(row?.currentIncarnation == new.incarnation)
            let status = try #require(try await statuses(database)["node-1"])
            #expect(status.agentsConnected == 0, "the stale heartbeat wrote nothing")
            #expect(status.secondsSinceSeen >= 4.5)
            await #expect(throws: IncarnationFenced(mine: old.incarnation, current: new.incarnation, rowState: .online)) {
                try await database.withConnection { connection, logger in
                    try await NodeRepository(logger: logger).recordState(old.nodeID, incarnation: old.incarnation, state: .draining,
                                                                         detail: "stale", on: connection)
                }
            }
            let stopped = try await database.withConnection { connection, logger in
                try await NodeRepository(logger: logger).markStopped(old.nodeID, incarnation: old.incarnation, on: connection)
            }
            #expect(!stopped)
            #expect(try await statuses(database)["node-1"]?.stateCode == .online)
            try await database.withConnection { connection, logger in
                try await NodeRepository(logger: logger).recordState(new.nodeID, incarnation: new.incarnation, state: .draining,
                                                                     detail: "drain requested", on: connection)
            }
            #expect(try await statuses(database)["node-1"]?.stateCode == .draining)
        }
    }

    @Test("decommissioning fences the old process (new incarnation), and refuses a node seen again since it went offline")
    func decommissionFences() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            let a = try await register(database, registration("node-a"))
            let b = try await registered(database, registration("node-b"))
            try await database.execute("UPDATE nodes SET state = 'offline', last_seen = now() - interval '1 second' WHERE name = 'node-b'")
            func decommission() async throws -> NodeStatus {
                try await database.withConnection { connection, logger in
                    try await connection.withTransaction(logger: logger) { connection in
                        try await NodeRepository(logger: logger).decommission("node-b", requestedOn: a, actor: "op", observer: "node-a", source: nil, on: connection)
                    }
                }
            }
            await #expect { _ = try await decommission() } throws: { "\(DatabaseError.readable($0))".contains("node-b was seen 1s ago, so it is still running (or rejoining)") }
            try await database.execute("UPDATE nodes SET last_seen = now() - interval '30 seconds' WHERE name = 'node-b'")
            let done = try await decommission()
            #expect(done.stateCode == .decommissioned)
            #expect(done.incarnation > b.incarnation)
            let row = try await database.withConnection { connection, logger in
                try await NodeRepository(logger: logger).heartbeat(b.nodeID, incarnation: b.incarnation,
                                                                   figures: NodeFigures(clockSkewMilliseconds: 0, requestsInFlight: 0, agentsConnected: 0), on: connection)
            }
            #expect(row?.previousState == .decommissioned)
            #expect(row?.currentIncarnation != b.incarnation)
            #expect(try await statuses(database)["node-b"]?.stateCode == .decommissioned, "the woken process overwrote nothing")
        }
    }

    @Test("a decommission racing the node's own state write: one of them wins whole, never a running node left decommissioned")
    func decommissionRace() async throws {
        try await withDatabase { database in
            try await makeCluster(database)
            let a = try await register(database, registration("node-a"))
            for _ in 0..<10 {
                let b = try await registered(database, registration("node-b"))
                try await database.execute("UPDATE nodes SET state = 'offline', stopped_at = now() WHERE name = 'node-b'")
                async let decommissioned: Bool = database.withConnection { connection, logger in
                    do {
                        _ = try await connection.withTransaction(logger: logger) { connection in
                            try await NodeRepository(logger: logger).decommission("node-b", requestedOn: a, actor: "op", observer: "node-a", source: nil, on: connection)
                        }
                        return true
                    } catch { return false }
                }
                async let recorded: Bool = database.withConnection { connection, logger in
                    do {
                        try await NodeRepository(logger: logger).recordState(b.nodeID, incarnation: b.incarnation, state: .joining,
                                                                             detail: "checking appdata (1/4)", on: connection)
                        return true
                    } catch is IncarnationFenced { return false }
                }
                let (won, wrote) = try await (decommissioned, recorded)
                let final = try #require(try await statuses(database)["node-b"])
                #expect(won || wrote)
                if won { #expect(final.stateCode == .decommissioned) }
                if final.stateCode == .decommissioned { #expect(final.incarnation != b.incarnation, "the process that wrote is fenced") }
                try await database.execute("UPDATE nodes SET state = 'offline' WHERE name = 'node-b'")
                _ = try await database.withConnection { connection, logger in
                    try await connection.withTransaction(logger: logger) { connection in
                        try await NodeRepository(logger: logger).register(self.registration("node-b"), rules: JoinRules(activeWithin: .seconds(12), maxNodes: 20, rejoin: true), on: connection)
                    }
                }
            }
        }
    }
}
