import Logging
import PostgresNIO
import StewardConfiguration
import StewardDatabase
import StewardTesting
import Testing

@Suite("A share of the pool")
struct PoolShareTests {
    static let logger = Logger(label: "test")
    /// Held by every query of the share until the test lets go of the exclusive lock.
    static let held: PostgresQuery = "SELECT pg_advisory_xact_lock_shared(7)"

    /// A pool of four (giving up after 500 ms) on a real PostgreSQL, and a connection of its own
    /// that holds advisory lock 7 exclusively, so the share's queries hold their connections.
    func withLockedPool(_ body: (DatabasePool, PostgresConnection) async throws -> Void) async throws {
        try await withDatabase { database in
            let configuration = DatabaseConfiguration(
                host: database.server.host, port: database.server.port, database: database.name, user: database.server.user,
                password: Secret(database.server.password), poolSize: 4, tls: .disable, statementTimeout: .seconds(30))
            let connector = DatabaseConnector(configuration: configuration, applicationName: "pool-share-test")
            let client = try connector.makeClient(logger: Self.logger)
            let running = Task { await client.run() }
            defer { running.cancel() }
            let locker = try await connector.connect(logger: Self.logger)
            _ = try await locker.query("SELECT pg_advisory_lock(7)", logger: Self.logger).collect()
            let pool = DatabasePool(client: client, size: 4, acquireTimeout: .milliseconds(500), statementTimeout: .seconds(30), logger: Self.logger)
            try await withAsyncCleanup { try await body(pool, locker) } cleanup: { try? await locker.close() }
        }
    }

    func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw HarnessError("\(what): not within 15 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("a storm on the share leaves the rest of the pool to other callers")
    func stormLeavesRoom() async throws {
        try await withLockedPool { pool, locker in
            let share = PoolShare(of: pool, permits: 2, acquireTimeout: .seconds(30), purpose: "the test's agents")
            try await withThrowingTaskGroup(of: Void.self) { storm in
                // Six held queries, more than the pool's four: without the share they would take all of it.
                for _ in 0..<6 { storm.addTask { try await share.run(Self.held, logger: Self.logger) } }
                try await waitUntil("the share's two connections busy") { share.inUse == 2 && pool.inUse == 2 }
                let answer = try await pool.run("SELECT 41 + 1", logger: Self.logger).first?.decode(Int.self)
                #expect(answer == 42, "another caller got a connection within the pool's 500 ms wait")
                #expect(share.inUse == 2 && pool.inUse == 2, "the storm never held more than its share")
                _ = try await locker.query("SELECT pg_advisory_unlock(7)", logger: Self.logger).collect()
                try await storm.waitForAll()
            }
            #expect(share.inUse == 0 && pool.inUse == 0)
        }
    }

    @Test("a wait past the share's timeout ends in a busy error that names the share")
    func fullShare() async throws {
        try await withLockedPool { pool, locker in
            let share = PoolShare(of: pool, permits: 1, acquireTimeout: .milliseconds(200), purpose: "the test's agents")
            let first = Task { try await share.run(Self.held, logger: Self.logger) }
            try await waitUntil("the share's connection busy") { share.inUse == 1 && pool.inUse == 1 }
            do {
                try await share.run("SELECT 1", logger: Self.logger)
                Issue.record("a second query got past a full share of one")
            } catch let error as DatabaseError {
                #expect(error.code == .busy)
                #expect("\(error)".contains("all 1 database connections for the test's agents stayed busy"), "\(error)")
            }
            _ = try await locker.query("SELECT pg_advisory_unlock(7)", logger: Self.logger).collect()
            _ = try await first.value
        }
    }
}
