import Foundation
import Logging
import StewardAppData
import StewardConfiguration
import StewardDatabase
import StewardModel

/// `steward-server --check-config`: every start-up check that changes nothing, each reported
/// on its own line, so that an operator sees all problems at once instead of one per restart.
public struct ConfigurationCheck {
    public struct Result: Sendable {
        public let name: String
        public let ok: Bool
        public let detail: String
    }

    let configuration: NodeConfiguration

    public init(configuration: NodeConfiguration) { self.configuration = configuration }

    public func run() async -> [Result] {
        var results = [Result(name: "configuration", ok: true, detail: "\(configuration.configFile) read, \(configuration.warnings.count) warning(s)")]
        results += configuration.warnings.map { Result(name: "warning", ok: true, detail: $0.description) }
        let startup = NodeStartup(configuration: configuration)
        results.append(check("ports") {
            try startup.checkPorts()
            return "\(configuration.httpPort), \(configuration.httpsPort) and \(configuration.webSocketPort) are free on \(configuration.bindAddress)"
        })
        results.append(check("keystore") {
            let identity = try startup.loadTLS()
            let leaf = try identity.entry.leafCertificate()
            return "entry '\(identity.entry.alias)' (\(leaf.subject)) valid until \(ISO8601DateFormatter().string(from: leaf.notValidAfter))"
        })
        var appDataClusterID: ClusterID?
        results.append(check("appdata") {
            let layout = startup.layout
            let verifier = AppDataVerifier(layout: layout)
            for folder in AppDataLayout.requiredFolders where !FileManager.default.fileExists(atPath: layout.path(folder)) {
                throw AppDataError(.missingFolder, path: layout.path(folder), detail: "every appdata has \(folder)/")
            }
            appDataClusterID = try verifier.readClusterID()
            return "\(layout.root) (cluster.id: \(appDataClusterID?.description ?? "none yet"))"
        })
        results.append(check("log settings") {
            let settings = try startup.loadLogSettings()
            return "root level \(settings.rootLevel)"
        })
        results.append(await databaseCheck(appDataClusterID: appDataClusterID))
        return results
    }

    func check(_ name: String, _ body: () throws -> String) -> Result {
        do {
            return Result(name: name, ok: true, detail: try body())
        } catch {
            return Result(name: name, ok: false, detail: "\(error)")
        }
    }

    func databaseCheck(appDataClusterID: ClusterID?) async -> Result {
        let logger = Logger(label: "steward.database")
        let connector = DatabaseConnector(configuration: configuration.database, applicationName: "steward-server check")
        do {
            let connection = try await connector.connect(logger: logger)
            defer { Task { await connection.closeEvenIfCancelled() } }
            let exists = try await connection.query("SELECT to_regclass('cluster') IS NOT NULL", logger: logger).collect().first?.decode(Bool.self) ?? false
            guard exists, let cluster = try await ClusterRepository(logger: logger).fetch(on: connection) else {
                return Result(name: "database", ok: true, detail: "\(configuration.database.displayURL) reachable; no cluster yet: this node would create it")
            }
            if let refusal = SchemaCompatibility.check(cluster) { return Result(name: "database", ok: false, detail: refusal.message) }
            if let appDataClusterID, appDataClusterID != cluster.clusterID {
                return Result(name: "database", ok: false, detail: "the database holds cluster \(cluster.clusterID) but appdata belongs to \(appDataClusterID)")
            }
            return Result(name: "database", ok: true, detail: "\(configuration.database.displayURL) reachable; cluster \(cluster.clusterID), schema \(cluster.schemaVersion), Steward \(cluster.softwareVersion)")
        } catch {
            return Result(name: "database", ok: false, detail: "\(error)")
        }
    }
}
