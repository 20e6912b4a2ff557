import Foundation
import PostgresNIO
import StewardDatabase
import StewardModel
import StewardTesting
import Testing

@Suite("Node rows")
struct NodeRepositoryTests {
    func registration(_ name: String, host: String) -> NodeRegistration {
        NodeRegistration(name: name, host: host, httpPort: 8080, httpsPort: 8443, webSocketPort: 7919,
                         softwareVersion: StewardVersion.current, pid: 42)
    }

    func register(_ database: TestDatabase, _ node: NodeRegistration) async throws -> NodeRecord {
        try await database.withConnection { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                try await NodeRepository(logger: logger).register(node, activeWithin: .seconds(12), on: connection)
            }
        }
    }

    @Test("a node keeps its id across restarts; a heartbeat moves last_seen on database time")
    func registerAndHeartbeat() async throws {
        try await withDatabase { database in
            _ = try await migrate(database)
            let first = try await register(database, registration("node-1", host: "host-a"))
            let again = try await register(database, registration("node-1", host: "host-a"))
            #expect(first.nodeID == again.nodeID)
            #expect(again.state == "online")
            let (beat, row) = try await database.withConnection { connection, logger in
                let repository = NodeRepository(logger: logger)
                let time = try await repository.heartbeat(first.nodeID, on: connection)
                return (time, try await repository.fetch(first.nodeID, on: connection))
            }
            #expect(row?.lastSeen == beat)
            #expect(abs(beat.timeIntervalSinceNow) < 60)
        }
    }

    @Test("a name in use by another host within the offline window is refused")
    func nameConflict() async throws {
        try await withDatabase { database in
            _ = try await migrate(database)
            _ = try await register(database, registration("node-1", host: "host-a"))
            do {
                _ = try await register(database, registration("node-1", host: "host-b"))
                Issue.record("a second host took the same name")
            } catch {
                #expect("\(DatabaseError.readable(error))".contains("node name node-1 is in use by host host-a"))
            }
            try await database.withConnection { connection, logger in
                let nodes = NodeRepository(logger: logger)
                let id = try #require(try await nodes.list(on: connection).first?.nodeID)
                try await nodes.markStopped(id, on: connection)
            }
            // Once stopped, another host may take the name over.
            let takenOver = try await register(database, registration("node-1", host: "host-b"))
            #expect(takenOver.host == "host-b")
        }
    }
}
