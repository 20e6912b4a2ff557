import Logging
import PostgresNIO
import StewardConfiguration
import StewardDatabase
import StewardTesting
import Testing

@Suite("Connections carry the node's limits")
struct DatabaseConnectorTests {
    func connector(_ database: TestDatabase, timeout: Duration) -> DatabaseConnector {
        let configuration = DatabaseConfiguration(
            host: database.server.host, port: database.server.port, database: database.name, user: database.server.user,
            password: Secret(database.server.password), poolSize: 2, tls: .disable, statementTimeout: timeout)
        return DatabaseConnector(configuration: configuration, applicationName: "steward-server test-node")
    }

    @Test("statement_timeout is set on every connection, and a longer statement is cancelled by the server")
    func statementTimeout() async throws {
        try await withDatabase { database in
            let connection = try await connector(database, timeout: .milliseconds(300)).connect(logger: Logger(label: "test"))
            let logger = Logger(label: "test")
            let setting = try await connection.query("SHOW statement_timeout", logger: logger).collect().first?.decode(String.self)
            #expect(setting == "300ms")
            let name = try await connection.query("SHOW application_name", logger: logger).collect().first?.decode(String.self)
            #expect(name == "steward-server test-node")
            do {
                _ = try await connection.query("SELECT pg_sleep(2)", logger: logger).collect()
                Issue.record("pg_sleep(2) should have been cancelled")
            } catch {
                #expect((DatabaseError.readable(error) as? DatabaseError)?.code == .timeout)
            }
            try await connection.close()
        }
    }

    @Test("a wrong password is reported as a login refusal naming the user")
    func wrongPassword() async throws {
        try await withDatabase { database in
            var configuration = connector(database, timeout: .seconds(5)).configuration
            configuration.password = Secret("wrong")
            let connector = DatabaseConnector(configuration: configuration, applicationName: "test")
            await #expect {
                try await connector.connect(logger: Logger(label: "test"))
            } throws: { error in
                (error as? DatabaseError)?.code == .authentication && "\(error)".contains("check database.user and database.password")
            }
        }
    }
}
