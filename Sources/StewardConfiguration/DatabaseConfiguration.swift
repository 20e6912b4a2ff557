import Foundation

/// The `database.*` keys: where the shared PostgreSQL is and how to talk to it.
public struct DatabaseConfiguration: Sendable {
    public enum TLSMode: String, CaseIterable, Sendable {
        /// Plain TCP. Only for a database on the same host.
        case disable
        /// TLS when the server offers it, without certificate checks (libpq's default).
        case prefer
        /// TLS always, without certificate checks.
        case require
        /// TLS always, the certificate checked against `database.tls.ca.file` (or the system's CAs) and the host name.
        case verifyFull = "verify-full"

        /// Modes that encrypt but accept any certificate: said at every start, never silently.
        public var acceptsUnverifiedServer: Bool { self == .prefer || self == .require }
    }

    public var host: String
    public var port: Int
    public var database: String
    public var user: String
    public var password: Secret?
    public var poolSize: Int
    public var tls: TLSMode
    public var tlsCAFile: String?
    public var statementTimeout: Duration
    public var connectTimeout: Duration
    /// No statement waits longer than this for a lock: a stuck holder cannot queue up every node behind it.
    public var lockTimeout: Duration = .seconds(5)
    /// A transaction left idle this long (its process paused, its network gone) is ended by the server,
    /// and its locks with it.
    public var idleInTransactionTimeout: Duration = .seconds(15)
    /// How long a request waits for a pooled connection before it is answered 503 with Retry-After.
    public var acquireTimeout: Duration = .seconds(2)

    public init(
        host: String = "localhost", port: Int = 5432, database: String = "steward", user: String = "steward",
        password: Secret? = nil, poolSize: Int = 10, tls: TLSMode = .disable, tlsCAFile: String? = nil,
        statementTimeout: Duration = .seconds(30), connectTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.poolSize = poolSize
        self.tls = tls
        self.tlsCAFile = tlsCAFile
        self.statementTimeout = statementTimeout
        self.connectTimeout = connectTimeout
    }

    init(reader: PropertyReader) throws(ConfigurationError) {
        self.init()
        if let url = reader.string("database.url") {
            guard let parsed = Self.parseURL(url) else {
                throw reader.error("database.url", "'\(url)' is not a postgres://host:port/database URL")
            }
            (host, port, database) = parsed
        }
        user = reader.string("database.user") ?? user
        password = try reader.secret("database.password", fileKey: "database.password.file")
        poolSize = try reader.int("database.pool.size", default: poolSize, range: 1...200)
        // Nothing crosses a host on loopback; anywhere else the default checks the server's certificate.
        tls = try reader.choice("database.tls", default: Self.isLoopback(host) ? .disable : .verifyFull)
        tlsCAFile = reader.path("database.tls.ca.file")
        if let tlsCAFile, !FileManager.default.isReadableFile(atPath: tlsCAFile) {
            throw reader.error("database.tls.ca.file", "the file \(tlsCAFile) does not exist or is not readable")
        }
        statementTimeout = try reader.duration("database.statement.timeout", default: statementTimeout)
        connectTimeout = try reader.duration("database.connect.timeout", default: connectTimeout)
        lockTimeout = try reader.duration("database.lock.timeout", default: lockTimeout)
        idleInTransactionTimeout = try reader.duration("database.idle.transaction.timeout", default: idleInTransactionTimeout)
        acquireTimeout = try reader.duration("database.acquire.timeout", default: acquireTimeout)
    }

    /// `postgres://host[:port]/database` (or `postgresql://`). Credentials belong in their own keys.
    static func parseURL(_ text: String) -> (String, Int, String)? {
        guard let components = URLComponents(string: text),
              components.scheme == "postgres" || components.scheme == "postgresql",
              let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil
        else { return nil }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { return nil }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { return nil }
        return (host, port, database)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The start-up warning for a TLS mode that does not verify the server, nil for the others.
    public var tlsWarning: String? {
        guard tls.acceptsUnverifiedServer else { return nil }
        return "database.tls=\(tls.rawValue) encrypts but accepts any certificate, so a machine in the middle could pose as \(host); use verify-full (with database.tls.ca.file unless the system's CAs sign it)"
    }

    /// `postgres://user@host:port/database`, safe to log: it never holds the password.
    public var displayURL: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}
