import Foundation
import StewardAppData
import StewardClient
import Synchronization

/// A cluster for one test: its own database, a shared appdata folder made from the template,
/// a keystore, and as many real `steward-server` processes as the test starts.
/// Use `TestCluster.with { cluster in … }`, which stops every process and removes every file.
public final class TestCluster: Sendable {
    public static let keystorePassword = "test-keystore-password"
    /// The first admin's password (given to every node as STEWARD_ADMIN_PASSWORD).
    public static let adminPassword = "test-admin-password-0"

    public let database: TestDatabase
    public let folder: TemporaryDirectory
    public let appData: String
    public let keystorePasswordFile: String
    private let nodes = Mutex<[ServerProcess]>([])
    private let adminToken = Mutex<String?>(nil)
    private let keystoreAuthorities = Mutex<[String: String]>([:])
    /// Passwords and tokens this cluster handed out; teardown fails the test if a log holds one.
    private let secrets = Mutex<[String]>([TestCluster.adminPassword, TestCluster.keystorePassword])

    init(database: TestDatabase, folder: TemporaryDirectory) throws {
        self.database = database
        self.folder = folder
        appData = folder.file("appdata")
        keystorePasswordFile = try folder.write("keystore.password", Self.keystorePassword + "\n", permissions: 0o600)
        _ = try folder.write("database.password", database.server.password + "\n", permissions: 0o600)
        // The cluster's master key: every node gets the same file.
        _ = try folder.write("master.key", MasterKeyText.generate(), permissions: 0o600)
        secrets.withLock { $0.append(database.server.password) }
    }

    /// Registers a secret (a token, a password) that must never appear in a log.
    public func neverLog(_ secret: String) { secrets.withLock { $0.append(secret) } }

    @discardableResult
    public static func with<T: Sendable>(
        keystoreEntries: [TestKeystore.EntrySpec] = [.init(alias: "steward")],
        postgres: TestPostgres = .shared,
        _ body: (TestCluster) async throws -> T
    ) async throws -> T {
        let database = try await postgres.createDatabase()
        let folder = try TemporaryDirectory(prefix: "steward-cluster")
        let cluster: TestCluster
        do {
            cluster = try TestCluster(database: database, folder: folder)
            try cluster.createAppData(keystoreEntries: keystoreEntries)
        } catch {
            folder.remove()
            await database.drop()
            throw error
        }
        let result: T
        do {
            result = try await body(cluster)
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.stopNodes()
        let leaks = cluster.leakedSecrets()
        await cluster.tearDown()
        if !leaks.isEmpty { throw HarnessError("secrets found in logs: \(leaks.joined(separator: ", "))") }
        return result
    }

    func createAppData(keystoreEntries: [TestKeystore.EntrySpec]) throws {
        let template = try AppDataTemplate.locate(explicit: Binaries.packageRoot + "/appdata-template")
        try AppDataTemplate.instantiate(template: template, into: appData)
        if !keystoreEntries.isEmpty {
            let authorities = try TestKeystore.write(path: appData + "/conf/server.keystore", password: Self.keystorePassword, entries: keystoreEntries)
            keystoreAuthorities.withLock { $0 = authorities }
            if let first = keystoreEntries.first, let pem = authorities[first.alias] {
                _ = try folder.write("ca.pem", pem)
            }
        }
    }

    /// The PEM file of the CA that signed the first keystore entry: what HTTPS clients of this cluster trust.
    public var caFile: String { folder.file("ca.pem") }
    /// The cluster CA's certificates (from the encryption keystore), which the agent port presents and checks.
    public var clusterCAFile: String { appData + "/conf/cluster-ca.pem" }

    /// An HTTPS client of `node` that checks the node's certificate against the cluster's CA.
    public func client(_ node: ServerProcess, token: String? = nil, session: StewardClient.Session? = nil,
                       timeout: Duration = .seconds(30)) -> StewardClient {
        StewardClient(baseURL: node.httpsURL, trust: .caFile(caFile), token: token, session: session, timeout: timeout)
    }

    /// The properties a node of this cluster needs, on fresh ports; `extra` adds or overrides keys
    /// (a nil value removes the key).
    public func properties(name: String, ports: [Int], extra: [String: String?] = [:]) -> [String: String] {
        var properties = [
            "server.node.name": name,
            "server.appdata.dir": appData,
            "server.bind.address": "127.0.0.1",
            "server.advertised.host": "localhost",
            "server.http.port": String(ports[0]),
            "server.https.port": String(ports[1]),
            "server.websocket.port": String(ports[2]),
            "server.keystore.password.file": keystorePasswordFile,
            "database.url": database.url,
            "database.user": database.server.user,
            "database.password.file": folder.file("database.password"),
            "server.master.key.file": folder.file("master.key"),
            "database.tls": "disable",
            "database.pool.size": "4",
            "cluster.heartbeat.interval": "1s",
            "cluster.node.offline.after": "4s",
            // Tests log in often; full-strength bcrypt would only make them slow.
            "security.bcrypt.cost": "4",
            "server.shutdown.drain.delay": "0s",
        ]
        for (key, value) in extra { properties[key] = value }
        return properties
    }

    /// Writes `installed.properties` for `name` and launches the node without waiting for it.
    /// `environment` is added to the test process's; the first admin's password is given unless
    /// `adminPassword` is false.
    public func launch(_ name: String, extra: [String: String?] = [:], arguments: [String] = [], rawConfig: String? = nil,
                       environment: [String: String] = [:], adminPassword: Bool = true, wrapper: [String] = [],
                       binary: String? = nil) throws -> ServerProcess {
        var environment = environment
        if adminPassword { environment["STEWARD_ADMIN_PASSWORD"] = Self.adminPassword }
        let free = try FreePorts.take(3)
        let settings = properties(name: name, ports: free, extra: extra)
        // The ports the node will really use: `extra` may have chosen them.
        let ports = ["server.http.port", "server.https.port", "server.websocket.port"].enumerated().map { index, key in
            settings[key].flatMap(Int.init) ?? free[index]
        }
        let text = rawConfig ?? settings
            .sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.escape($0.value))" }.joined(separator: "\n") + "\n"
        let configFile = try folder.write("nodes/\(name)/installed.properties", text)
        let process = try ServerProcess(name: name, configFile: configFile, ports: ports,
                                        outputFile: folder.file("nodes/\(name)/output.log"), arguments: arguments,
                                        environment: environment, wrapper: wrapper, binary: binary)
        nodes.withLock { $0.append(process) }
        return process
    }

    /// Launches `name` and waits until it is ready (online, taking work).
    public func start(_ name: String, extra: [String: String?] = [:], arguments: [String] = [],
                      environment: [String: String] = [:], adminPassword: Bool = true, wrapper: [String] = [],
                      binary: String? = nil) async throws -> ServerProcess {
        let node = try launch(name, extra: extra, arguments: arguments, environment: environment, adminPassword: adminPassword,
                              wrapper: wrapper, binary: binary)
        try await node.waitUntilReady()
        return node
    }

    /// Launches a node expected to refuse to start; returns its exit status and output.
    public func refusal(_ name: String, extra: [String: String?] = [:], arguments: [String] = [], rawConfig: String? = nil) async throws -> (status: Int32, output: String) {
        let node = try launch(name, extra: extra, arguments: arguments, rawConfig: rawConfig)
        let status = try await node.waitForExit(timeout: .seconds(60))
        return (status, node.output)
    }

    /// An HTTPS API client for `node`, logged in as the first admin.
    public func adminClient(_ node: ServerProcess) async throws -> StewardClient {
        let base = client(node)
        if let token = adminToken.withLock({ $0 }) { return base.with(token: token) }
        let login = try await base.loginForToken(username: "admin", password: Self.adminPassword, tokenName: "tests")
        guard let token = login.token?.secret else { throw HarnessError("the admin login returned no token") }
        adminToken.withLock { $0 = token }
        neverLog(token)
        return base.with(token: token)
    }

    /// The PEM of the CA that signed the keystore entry `alias` (what clients should trust).
    public func caCertificate(alias: String = "steward") -> String { keystoreAuthorities.withLock { $0[alias] ?? "" } }

    /// The node's log file in appdata.
    public func logFile(of name: String) -> String { appData + "/logs/\(name)/server.log" }

    public func stopNodes() async {
        let running = nodes.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for node in running { group.addTask { await node.stop(grace: .seconds(10)) } }
        }
    }

    /// Log files (appdata/logs/*/server.log*, each node's output) that contain a registered secret.
    public func leakedSecrets() -> [String] {
        let known = secrets.withLock { $0 }
        var files = nodes.withLock { $0.map(\.outputFile) }
        let logs = appData + "/logs"
        for folder in (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? [] {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: "\(logs)/\(folder)")) ?? [] where file.hasPrefix("server.log") {
                files.append("\(logs)/\(folder)/\(file)")
            }
        }
        return files.compactMap { file in
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
            return known.contains(where: { text.contains($0) }) ? file : nil
        }
    }

    public func tearDown() async {
        await stopNodes()
        await database.drop()
        if ProcessInfo.processInfo.environment["STEWARD_TEST_KEEP"] == nil { folder.remove() }
    }

    /// Escapes a value for a .properties file (backslashes, and leading spaces).
    static func escape(_ value: String) -> String {
        var escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
        if escaped.hasPrefix(" ") { escaped = "\\" + escaped }
        return escaped
    }
}
