import Foundation
import Logging
import PostgresNIO
import StewardAppData
import StewardConfiguration
import StewardDatabase
import StewardModel

/// Asks the node's database (from `--properties`) whether nodes that use the data are still
/// running: for an appdata folder, any node of the cluster (it may be the shared appdata); for an
/// installation, only its own node (`server.node.name`). An unreachable database is reported,
/// not fatal: the lock files still guard.
enum MigrationDatabaseCheck {
    static func run(propertiesFile: String?, source: MigrationSource.Kind, appDataCluster: ClusterID?) async -> DatabaseStatus {
        guard let propertiesFile else { return .notChecked("no --properties given") }
        let configuration: NodeConfiguration
        do {
            configuration = try NodeConfiguration.load(path: propertiesFile)
        } catch {
            return .notChecked("cannot read the database settings: \(error)")
        }
        let logger: Logger = {
            var logger = Logger(label: "stewardctl.database")
            logger.logLevel = .critical
            return logger
        }()
        let connector = DatabaseConnector(configuration: configuration.database, applicationName: "stewardctl appdata migrate")
        let display = configuration.database.displayURL
        let scope: DatabaseStatus.Scope = source == .install ? .node(configuration.nodeName) : .cluster
        do {
            return try await withDeadline(.seconds(15), "the database check") {
                let connection = try await connector.connect(logger: logger)
                do {
                    let status = try await query(connection, database: display, scope: scope, appDataCluster: appDataCluster, logger: logger)
                    try? await connection.close()
                    return status
                } catch {
                    try? await connection.close()
                    throw error
                }
            }
        } catch let error as DatabaseError {
            return .unreachable(error.message)
        } catch {
            return .unreachable("\(display): \(DatabaseError.readable(error))")
        }
    }

    static func query(_ connection: PostgresConnection, database: String, scope: DatabaseStatus.Scope,
                      appDataCluster: ClusterID?, logger: Logger) async throws -> DatabaseStatus {
        let cluster: ClusterRecord?
        do {
            cluster = try await ClusterRepository(logger: logger).fetch(on: connection)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            return .quiet(database: database, cluster: nil, scope: scope, othersRunning: [])  // no schema yet: no node ever ran on it
        }
        guard let cluster else { return .quiet(database: database, cluster: nil, scope: scope, othersRunning: []) }
        if let appDataCluster, appDataCluster != cluster.clusterID {
            return .otherCluster(database: database, databaseCluster: cluster.clusterID.description, appDataCluster: appDataCluster.description)
        }
        let running = try await NodeRepository(logger: logger).recentlyActive(on: connection).map(\.name)
        let blocking = running.filter { name in
            guard case .node(let node) = scope else { return true }  // any node of the cluster blocks
            return name == node
        }
        guard blocking.isEmpty else { return .active(database: database, nodes: blocking, scope: scope) }
        return .quiet(database: database, cluster: cluster.clusterID.description, scope: scope,
                      othersRunning: running.filter { !blocking.contains($0) })
    }
}
