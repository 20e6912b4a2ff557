import Logging
import PostgresNIO
import StewardConfiguration
import StewardDatabase
import StewardTesting
import Testing

@Suite("A dedicated connection under concurrent use")
struct DedicatedConnectionTests {
    func connector(_ database: TestDatabase) -> DatabaseConnector {
        let configuration = DatabaseConfiguration(
            host: database.server.host, port: database.server.port, database: database.name, user: database.server.user,
            password: Secret(database.server.password), poolSize: 2, tls: .disable, statementTimeout: .seconds(5))
        return DatabaseConnector(configuration: configuration, applicationName: "steward-server dedicated-test")
    }

    /// Callers that arrive while it connects share the one connect: two racing connects would leave a
    /// connection unclosed, which postgres-nio traps on in debug builds (a woken SIGSTOPped node did).
    @Test("twenty callers at once open one connection, and after a discard the next callers share one again")
    func concurrentCallersShareOneConnect() async throws {
        try await withDatabase { database in
            let dedicated = DedicatedConnection(connector: connector(database), purpose: "test", logger: Logger(label: "test"))
            for round in 0..<2 {
                let backends = try await withThrowingTaskGroup(of: Int32.self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            try await dedicated.run(.seconds(10), "backend pid") { connection in
                                try await connection.query("SELECT pg_backend_pid()", logger: Logger(label: "test")).collect()[0].decode(Int32.self)
                            }
                        }
                    }
                    return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
                }
                #expect(backends.count == 1, "one connection served all callers, not \(backends.count)")
                guard round == 0 else { break }  // after a discard the old one may still be closing
                let open = try await database.withConnection { connection, logger in
                    try await connection.query("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = 'steward-server dedicated-test'",
                                               logger: logger).collect()[0].decode(Int.self)
                }
                #expect(open == 1)
                await dedicated.discard()
            }
            await dedicated.close()
        }
    }

    @Test("after close, a caller gets a clear error and no new connection is made")
    func closedForGood() async throws {
        try await withDatabase { database in
            let dedicated = DedicatedConnection(connector: connector(database), purpose: "test", logger: Logger(label: "test"))
            _ = try await dedicated.run(.seconds(10), "select") { try await $0.query("SELECT 1", logger: Logger(label: "test")).collect() }
            await dedicated.close()
            do {
                _ = try await dedicated.run(.seconds(10), "select") { try await $0.query("SELECT 1", logger: Logger(label: "test")).collect() }
                Issue.record("a closed dedicated connection ran a query")
            } catch {
                #expect("\(error)".contains("the test connection is closed"))
            }
        }
    }
}
