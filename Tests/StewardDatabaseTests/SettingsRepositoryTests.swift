import Foundation
import Logging
import PostgresNIO
import StewardConfiguration
import StewardDatabase
import StewardModel
import StewardTesting
import Testing

@Suite("Cluster settings in the database: seeded once, changed under a lock, read by the offline rule")
struct SettingsRepositoryTests {
    func prepared(_ database: TestDatabase) async throws {
        _ = try await migrate(database)
        try await database.withConnection { connection, logger in
            _ = try await ClusterRepository(logger: logger).create(id: ClusterID(), schemaVersion: Migrations.latestVersion,
                                                                   softwareVersion: StewardVersion.current, on: connection)
        }
    }

    func seed(_ database: TestDatabase, _ values: [String: String], by node: String) async throws {
        let settings = try ClusterSettings(values: values)
        try await database.withConnection { connection, logger in
            try await SettingsRepository(logger: logger).seed(settings, by: node, on: connection)
        }
    }

    func load(_ database: TestDatabase) async throws -> (ClusterSettings, Int64) {
        try await database.withConnection { connection, logger in try await SettingsRepository(logger: logger).load(on: connection) }
    }

    func set(_ database: TestDatabase, _ key: String, _ value: String) async throws -> ClusterSettingInfo {
        try await database.withConnection { connection, logger in
            try await connection.withTransaction(logger: logger) { connection in
                try await SettingsRepository(logger: logger).set(key, to: value, by: "alice", on: connection)
            }
        }
    }

    @Test("the first node's values seed the cluster; a later node's differing values change nothing")
    func seeding() async throws {
        try await withDatabase { database in
            try await prepared(database)
            try await seed(database, ["cluster.node.offline.after": "20s"], by: "node-1")
            let (first, version) = try await load(database)
            #expect(first.nodeOfflineAfter == .seconds(20))
            #expect(version == 1)
            try await seed(database, ["cluster.node.offline.after": "8s"], by: "node-2")
            let (second, unchanged) = try await load(database)
            #expect(second.nodeOfflineAfter == .seconds(20))
            #expect(unchanged == 1, "nothing was added, so nodes need not reload")
            let listed = try await database.withConnection { connection, logger in try await SettingsRepository(logger: logger).list(on: connection) }
            #expect(listed.count == ClusterSettings.definitions.count)
            #expect(listed.first { $0.key == "cluster.node.offline.after" }?.updatedBy == "node-1")
        }
    }

    @Test("a change is stored canonically, moves the version on, and a value that breaks a rule is refused")
    func changes() async throws {
        try await withDatabase { database in
            try await prepared(database)
            try await seed(database, [:], by: "node-1")
            let info = try await set(database, "cluster.node.offline.after", "6000ms")
            #expect(info.value == "6s")
            #expect(info.updatedBy == "alice")
            let (settings, version) = try await load(database)
            #expect(settings.nodeOfflineAfter == .seconds(6))
            #expect(version == 2)
            await #expect { _ = try await set(database, "cluster.heartbeat.interval", "4s") } throws: {
                "\($0)".contains("must be at least twice cluster.heartbeat.interval (4s)")
            }
            #expect(try await load(database).0.heartbeatInterval == .seconds(3), "the refused change left nothing behind")
        }
    }

    @Test("whether a node is offline follows the database's setting, whatever the asking node thinks")
    func offlineRuleReadsTheSetting() async throws {
        try await withDatabase { database in
            try await prepared(database)
            try await seed(database, [:], by: "node-1")
            let registration = NodeRegistration(name: "quiet", host: "h", httpPort: 1, httpsPort: 2, webSocketPort: 3,
                                                softwareVersion: StewardVersion.current, pid: 1)
            _ = try await database.withConnection { connection, logger in
                try await connection.withTransaction(logger: logger) { connection in
                    try await NodeRepository(logger: logger).register(registration, rules: JoinRules(activeWithin: .seconds(12), maxNodes: 20), on: connection)
                }
            }
            try await database.execute("UPDATE nodes SET state = 'online', last_seen = now() - interval '8 seconds'")
            func state() async throws -> NodeState? {
                try await database.withConnection { connection, logger in try await NodeRepository(logger: logger).status(of: "quiet", on: connection)?.stateCode }
            }
            #expect(try await state() == .online, "8 s silent, offline after 12 s")
            _ = try await set(database, "cluster.node.offline.after", "6s")
            #expect(try await state() == .offline, "8 s silent, offline after 6 s")
        }
    }
}
