import Foundation
import Logging
import PostgresNIO
import StewardAppData
import StewardConfiguration
import StewardDatabase
import StewardModel

/// Asks the node's database (from `--properties`) whether nodes of the appdata's cluster are
/// still running. An unreachable database is reported, not fatal: the lock files still guard.
enum MigrationDatabaseCheck {
    static func run(propertiesFile: String?, appDataCluster: ClusterID?) async -> DatabaseStatus {
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
        do {
            return try await withDeadline(.seconds(15), "the database check") {
                let connection = try await connector.connect(logger: logger)
                do {
                    let status = try await query(connection, database: display, appDataCluster: appDataCluster, logger: logger)
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

    static func query(_ connection: PostgresConnection, database: String, appDataCluster: ClusterID?, logger: Logger) async throws -> DatabaseStatus {
        let cluster: ClusterRecord?
        do {
            cluster = try await ClusterRepository(logger: logger).fetch(on: connection)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            return .quiet(database: database, cluster: nil)  // no schema yet: no node ever ran on it
        }
        guard let cluster else { return .quiet(database: database, cluster: nil) }
        if let appDataCluster, appDataCluster != cluster.clusterID {
            return .otherCluster(database: database, databaseCluster: cluster.clusterID.description, appDataCluster: appDataCluster.description)
        }
        let active = try await NodeRepository(logger: logger).recentlyActive(on: connection)
        guard active.isEmpty else {
            return .active(database: database, nodes: active.map { "\($0.name) on \($0.host), \($0.state)" })
        }
        return .quiet(database: database, cluster: cluster.clusterID.description)
    }
}
