import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import StewardConfiguration
import StewardModel

/// Turns the `database.*` configuration into postgres-nio configurations, with the
/// statement timeout set on every connection so that no query can hang a node.
public struct DatabaseConnector: Sendable {
    public let configuration: DatabaseConfiguration
    public let applicationName: String

    public init(configuration: DatabaseConfiguration, applicationName: String) {
        self.configuration = configuration
        self.applicationName = applicationName
    }

    /// Set on every connection, pooled or dedicated: no statement, lock wait or abandoned transaction
    /// lasts long, and the server notices a client whose host or network has died.
    var startupParameters: [(String, String)] {
        [
            ("statement_timeout", "\(configuration.statementTimeout.inMilliseconds)"),
            ("lock_timeout", "\(configuration.lockTimeout.inMilliseconds)"),
            ("idle_in_transaction_session_timeout", "\(configuration.idleInTransactionTimeout.inMilliseconds)"),
            ("tcp_keepalives_idle", "30"),
            ("tcp_keepalives_interval", "10"),
            ("tcp_keepalives_count", "3"),
            ("client_connection_check_interval", "5000"),
            ("application_name", String(applicationName.prefix(63))),
            ("TimeZone", "UTC"),
        ]
    }

    func clientTLS() throws -> TLSConfiguration? {
        switch configuration.tls {
        case .disable:
            return nil
        case .prefer, .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            return tls
        case .verifyFull:
            // The CA file when one is given, else the system's trusted CAs; the host name is always checked.
            var tls = TLSConfiguration.makeClientConfiguration()
            if let file = configuration.tlsCAFile { tls.trustRoots = .file(file) }
            tls.certificateVerification = .fullVerification
            return tls
        }
    }

    /// The pool every runtime query goes through.
    public func makeClient(logger: Logger) throws -> PostgresClient {
        let tls: PostgresClient.Configuration.TLS
        switch (configuration.tls, try clientTLS()) {
        case (.disable, _), (_, nil): tls = .disable
        case (.prefer, let context?): tls = .prefer(context)
        case (_, let context?): tls = .require(context)
        }
        var client = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.user,
            password: configuration.password?.value, database: configuration.database, tls: tls)
        client.options.maximumConnections = configuration.poolSize
        client.options.minimumConnections = min(2, configuration.poolSize)
        client.options.connectTimeout = configuration.connectTimeout
        client.options.additionalStartupParameters = startupParameters
        client.options.keepAliveBehavior = .init(frequency: .seconds(15))
        return PostgresClient(configuration: client, backgroundLogger: logger)
    }

    /// A single connection: for start-up, where a clear error beats the pool's silent retrying,
    /// and for LISTEN, which needs a connection of its own.
    /// On `eventLoop` when given (the heartbeat's own thread), else on the shared loops.
    public func connect(on eventLoop: (any EventLoop)? = nil, logger: Logger) async throws(DatabaseError) -> PostgresConnection {
        do {
            let tls: PostgresConnection.Configuration.TLS
            switch (configuration.tls, try clientTLS()) {
            case (.disable, _), (_, nil): tls = .disable
            case (.prefer, let context?): tls = .prefer(try NIOSSLContext(configuration: context))
            case (_, let context?): tls = .require(try NIOSSLContext(configuration: context))
            }
            var connection = PostgresConnection.Configuration(
                host: configuration.host, port: configuration.port, username: configuration.user,
                password: configuration.password?.value, database: configuration.database, tls: tls)
            connection.options.connectTimeout = .milliseconds(configuration.connectTimeout.inMilliseconds)
            connection.options.additionalStartupParameters = startupParameters
            return try await PostgresConnection.connect(on: eventLoop ?? PostgresConnection.defaultEventLoopGroup.any(),
                                                        configuration: connection, id: 1, logger: logger)
        } catch {
            throw describe(error)
        }
    }

    /// A connection error in the operator's terms: which database, which user, what went wrong.
    func describe(_ error: any Error) -> DatabaseError {
        let target = "database \(configuration.displayURL)"
        if let psql = error as? PSQLError {
            if let server = psql.serverInfo, let code = server[.sqlState] {
                let text = server[.message] ?? "error \(code)"
                if code == "28P01" || code == "28000" {
                    return DatabaseError(.authentication, "\(target) refused the login: \(text); check database.user and database.password")
                }
                if code == "3D000" {
                    return DatabaseError(.unreachable, "\(target): \(text); create it, or correct database.url")
                }
                return DatabaseError(.unreachable, "\(target): \(text) (SQLSTATE \(code))")
            }
            if let underlying = psql.underlying {
                return DatabaseError(.unreachable, "cannot connect to \(target): \(underlying); is PostgreSQL running and database.url right?")
            }
            return DatabaseError(.unreachable, "cannot connect to \(target): \(psql.code)")
        }
        return DatabaseError(.unreachable, "cannot connect to \(target): \(error)")
    }
}
