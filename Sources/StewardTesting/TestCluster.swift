import Foundation
import StewardAppData
import Synchronization

/// A cluster for one test: its own database, a shared appdata folder made from the template,
/// a keystore, and as many real `steward-server` processes as the test starts.
/// Use `TestCluster.with { cluster in … }`, which stops every process and removes every file.
public final class TestCluster: Sendable {
    public static let keystorePassword = "test-keystore-password"

    public let database: TestDatabase
    public let folder: TemporaryDirectory
    public let appData: String
    public let keystorePasswordFile: String
    private let nodes = Mutex<[ServerProcess]>([])

    init(database: TestDatabase, folder: TemporaryDirectory) throws {
        self.database = database
        self.folder = folder
        appData = folder.file("appdata")
        keystorePasswordFile = try folder.write("keystore.password", Self.keystorePassword + "\n", permissions: 0o600)
        _ = try folder.write("database.password", database.server.password + "\n", permissions: 0o600)
    }

    public static func with<T: Sendable>(
        keystoreEntries: [TestKeystore.EntrySpec] = [.init(alias: "steward")],
        _ body: (TestCluster) async throws -> T
    ) async throws -> T {
        let database = try await TestPostgres.shared.createDatabase()
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
        do {
            let result = try await body(cluster)
            await cluster.tearDown()
            return result
        } catch {
            await cluster.tearDown()
            throw error
        }
    }

    func createAppData(keystoreEntries: [TestKeystore.EntrySpec]) throws {
        let template = try AppDataTemplate.locate(explicit: Binaries.packageRoot + "/appdata-template")
        try AppDataTemplate.instantiate(template: template, into: appData)
        if !keystoreEntries.isEmpty {
            try TestKeystore.write(path: appData + "/conf/server.keystore", password: Self.keystorePassword, entries: keystoreEntries)
        }
    }

    /// The properties a node of this cluster needs, on fresh ports; `extra` adds or overrides keys
    /// (a nil value removes the key).
    public func properties(name: String, ports: [Int], extra: [String: String?] = [:]) -> [String: String] {
        var properties = [
            "server.node.name": name,
            "server.appdata.dir": appData,
            "server.bind.address": "127.0.0.1",
            "server.http.port": String(ports[0]),
            "server.https.port": String(ports[1]),
            "server.websocket.port": String(ports[2]),
            "server.keystore.password.file": keystorePasswordFile,
            "database.url": database.url,
            "database.user": database.server.user,
            "database.password.file": folder.file("database.password"),
            "database.tls": "disable",
            "database.pool.size": "4",
            "cluster.heartbeat.interval": "1s",
            "cluster.node.offline.after": "4s",
        ]
        for (key, value) in extra { properties[key] = value }
        return properties
    }

    /// Writes `installed.properties` for `name` and launches the node without waiting for it.
    public func launch(_ name: String, extra: [String: String?] = [:], arguments: [String] = [], rawConfig: String? = nil) throws -> ServerProcess {
        let ports = try FreePorts.take(3)
        let text = rawConfig ?? properties(name: name, ports: ports, extra: extra)
            .sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.escape($0.value))" }.joined(separator: "\n") + "\n"
        let configFile = try folder.write("nodes/\(name)/installed.properties", text)
        let process = try ServerProcess(name: name, configFile: configFile, ports: ports,
                                        outputFile: folder.file("nodes/\(name)/output.log"), arguments: arguments)
        nodes.withLock { $0.append(process) }
        return process
    }

    /// Launches `name` and waits until it is live.
    public func start(_ name: String, extra: [String: String?] = [:], arguments: [String] = []) async throws -> ServerProcess {
        let node = try launch(name, extra: extra, arguments: arguments)
        try await node.waitUntilLive()
        return node
    }

    /// Launches a node expected to refuse to start; returns its exit status and output.
    public func refusal(_ name: String, extra: [String: String?] = [:], arguments: [String] = [], rawConfig: String? = nil) async throws -> (status: Int32, output: String) {
        let node = try launch(name, extra: extra, arguments: arguments, rawConfig: rawConfig)
        let status = try await node.waitForExit(timeout: .seconds(60))
        return (status, node.output)
    }

    /// The node's log file in appdata.
    public func logFile(of name: String) -> String { appData + "/logs/\(name)/server.log" }

    public func tearDown() async {
        let running = nodes.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for node in running { group.addTask { await node.stop(grace: .seconds(10)) } }
        }
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
