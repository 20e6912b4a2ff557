import Foundation
import Logging
import PostgresNIO
import StewardKeystore

/// One throwaway PostgreSQL per test run (or the server in `$STEWARD_TEST_DATABASE_URL`), and
/// a fresh database for each test. The instance runs as the `postgres` user when the tests run
/// as root (PostgreSQL refuses root), in a temporary folder, on a free loopback port.
public actor TestPostgres {
    public static let shared = TestPostgres()

    /// Runs `body` with a server of its own, for a test that stops and restarts PostgreSQL (the
    /// shared one serves every other test running at the same time); stops it however `body` ends.
    public static func withPrivate<T: Sendable>(_ body: (TestPostgres) async throws -> T) async throws -> T {
        let instance = TestPostgres(isPrivate: true)
        return try await withAsyncCleanup {
            _ = try await instance.running()
            return try await body(instance)
        } cleanup: {
            await instance.stop()
        }
    }

    private let isPrivate: Bool

    init(isPrivate: Bool = false) { self.isPrivate = isPrivate }

    /// Stops a private server and removes its files.
    public func stop() async {
        guard let server, let data = server.dataDirectory, let bin = server.binDirectory, let folder = server.socketDirectory else { return }
        try? await Self.runAs(getuid() == 0, "\(bin)/pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
        self.server = nil
        starting = nil
    }

    public struct Server: Sendable {
        public let host: String
        public let port: Int
        public let user: String
        public let password: String
        /// The CA of the server's TLS certificate (which names `localhost` only, not 127.0.0.1), when
        /// this process started the server; nil for an external one.
        public let tlsCAFile: String?
        /// Set when this process started the server (and so may stop and restart it).
        let dataDirectory: String?
        let binDirectory: String?
        let socketDirectory: String?
    }

    private var server: Server?
    private var starting: Task<Server, any Error>?

    /// The server, started on first use.
    public func running() async throws -> Server {
        if let server { return server }
        if let starting { return try await starting.value }
        let privateServer = isPrivate
        let task = Task { try await Self.startOrAttach(privateServer: privateServer) }
        starting = task
        let started = try await task.value
        server = started
        return started
    }

    static func startOrAttach(privateServer: Bool) async throws -> Server {
        if let url = ProcessInfo.processInfo.environment["STEWARD_TEST_DATABASE_URL"], !url.isEmpty, !privateServer {
            guard let components = URLComponents(string: url), let host = components.host else {
                throw HarnessError("STEWARD_TEST_DATABASE_URL '\(url)' is not postgres://user:password@host:port/db")
            }
            return Server(host: host, port: components.port ?? 5432, user: components.user ?? "postgres",
                          password: components.password ?? "", tlsCAFile: nil, dataDirectory: nil, binDirectory: nil, socketDirectory: nil)
        }
        return try await start()
    }

    public static func binDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb") {
            return "\(root)/\(newest)/bin"
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        throw HarnessError("PostgreSQL is not installed (no initdb under /usr/lib/postgresql or on PATH); Scripts/test installs it")
    }

    static func start() async throws -> Server {
        let bin = try binDirectory()
        let folder = try TemporaryDirectory(prefix: "steward-test-pg")
        let password = UUID().uuidString
        let data = folder.file("data")
        let passwordFile = try folder.write("pwfile", password + "\n", permissions: 0o600)
        let asPostgres = getuid() == 0
        if asPostgres { try await Shell.run("/bin/chown", ["-R", "postgres", folder.path]) }
        let port = try FreePorts.take()
        Watchdog.shared.atExit("\(asPostgres ? "runuser -u postgres -- " : "")'\(bin)/pg_ctl' -D '\(data)' stop -m immediate >/dev/null 2>&1; rm -rf '\(folder.path)'")
        try await runAs(asPostgres, "\(bin)/initdb", [
            "-D", data, "-U", "postgres", "--pwfile", passwordFile, "--auth-local=trust",
            "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C",
        ])
        // TLS on, for the tests of database.tls: a certificate for "localhost" only, so that connecting
        // by 127.0.0.1 is a host-name mismatch.
        let tls = try SelfSignedCertificate.generate(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: [])
        _ = try folder.write("data/server.crt", tls.chainPEM, permissions: 0o600)
        _ = try folder.write("data/server.key", tls.privateKeyPEM, permissions: 0o600)
        let caFile = try folder.write("ca.pem", tls.caCertificatePEM)
        if asPostgres { try await Shell.run("/bin/chown", ["postgres", folder.file("data/server.crt"), folder.file("data/server.key")]) }
        try await startServer(bin: bin, data: data, port: port, socketDirectory: folder.path, asPostgres: asPostgres)
        return Server(host: "127.0.0.1", port: port, user: "postgres", password: password, tlsCAFile: caFile,
                      dataDirectory: data, binDirectory: bin, socketDirectory: folder.path)
    }

    static func startServer(bin: String, data: String, port: Int, socketDirectory: String, asPostgres: Bool) async throws {
        let options = "-p \(port) -k \(socketDirectory) -c listen_addresses=127.0.0.1 -c max_connections=600 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c ssl=on"
        try await runAs(asPostgres, "\(bin)/pg_ctl", ["-D", data, "-o", options, "-l", data + "/../server.log", "-w", "-t", "60", "start"])
    }

    static func runAs(_ asPostgres: Bool, _ program: String, _ arguments: [String]) async throws {
        if asPostgres {
            try await Shell.run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        } else {
            try await Shell.run(program, arguments)
        }
    }

    /// Stops the server for `downtime`, then starts it again on the same port (fault tests).
    public func restart(downtime: Duration = .zero) async throws {
        guard isPrivate else { throw HarnessError("restart only a private PostgreSQL (withPrivate): the shared one serves tests running in parallel") }
        let server = try await running()
        guard let data = server.dataDirectory, let bin = server.binDirectory, let sockets = server.socketDirectory else {
            throw HarnessError("cannot restart a PostgreSQL this process did not start (STEWARD_TEST_DATABASE_URL)")
        }
        let asPostgres = getuid() == 0
        try await Self.runAs(asPostgres, "\(bin)/pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"])
        if downtime > .zero { try await Task.sleep(for: downtime) }
        try await Self.startServer(bin: bin, data: data, port: server.port, socketDirectory: sockets, asPostgres: asPostgres)
    }

    /// A new, empty database for one test.
    public func createDatabase() async throws -> TestDatabase {
        let server = try await running()
        let name = "steward_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await Self.admin(server) { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        return TestDatabase(server: server, name: name)
    }

    static func admin(_ server: Server, _ body: (PostgresConnection, Logger) async throws -> Void) async throws {
        let logger = Logger(label: "steward.test.postgres")
        let configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: server.user, password: server.password,
            database: "postgres", tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            try await body(connection, logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}

/// One test's own database on the shared test server.
public struct TestDatabase: Sendable {
    public let server: TestPostgres.Server
    public let name: String

    public var url: String { "postgres://\(server.host):\(server.port)/\(name)" }

    /// Runs `body` on a new connection to this database.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let logger = Logger(label: "steward.test.database")
        let configuration = PostgresConnection.Configuration(
            host: server.host, port: server.port, username: server.user, password: server.password,
            database: name, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            let result = try await body(connection, logger)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs one statement (test setup and fault injection).
    public func execute(_ sql: String) async throws {
        try await withConnection { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// Runs `statement` in a transaction of its own (to take a lock), then `body`, then commits:
    /// what nodes do while the database makes them wait becomes something a test can watch.
    public func holding<T: Sendable>(_ statement: String, while body: () async throws -> T) async throws -> T {
        let (locked, lockedSignal) = AsyncStream<Void>.makeStream()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        let holder = Task {
            defer { lockedSignal.finish() }  // a failure before the lock must not leave the wait below hanging
            try await withConnection { connection, logger in
                try await connection.query("BEGIN", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                lockedSignal.yield()
                for await _ in release { break }
                try await connection.query("COMMIT", logger: logger)
            }
        }
        var held = false
        for await _ in locked {
            held = true
            break
        }
        if !held {
            try await holder.value  // throws why the lock was not taken
            throw HarnessError("could not take the lock: \(statement)")
        }
        do {
            let result = try await body()
            releaseSignal.yield()
            try await holder.value
            return result
        } catch {
            releaseSignal.yield()
            _ = try? await holder.value
            throw error
        }
    }

    /// Drops the database, disconnecting whoever still uses it.
    public func drop() async {
        try? await TestPostgres.admin(server) { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }
}
