import Hummingbird
import Logging
import NIOSSL
import PostgresNIO
import StewardCluster
import StewardConfiguration
import StewardDatabase
import StewardKeys
import StewardModel

/// Every route the node serves, read from the real routers (not from a list kept by hand),
/// so that tests can hold each `/api/v1` route to its required role.
public enum RouteInventory {
    public struct Route: Hashable, Sendable, CustomStringConvertible {
        public let method: String
        public let path: String
        public var description: String { "\(method) \(path)" }
    }

    /// The routes of all three listeners. Builds the routers against a database client that is
    /// never started: nothing connects anywhere.
    public static func routes() throws -> Set<Route> {
        let configuration = try NodeConfiguration(file: PropertiesFile(path: "inventory", text: "server.appdata.dir=/nonexistent\nserver.master.key.file=/dev/null\n"))
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", username: "none", password: nil, database: nil, tls: .disable))
        let membership = NodeMembership(nodeID: NodeID(), nodeName: configuration.nodeName, clusterID: ClusterID(),
                                        incarnation: Incarnation(0), limits: .init(configuration.bootstrapSettings))
        let runtime = NodeRuntime(configuration: configuration, membership: membership,
                                  settings: LiveSettings(configuration.bootstrapSettings, version: 0),
                                  database: DatabasePool(client: client, size: 1, acquireTimeout: .seconds(1), statementTimeout: .seconds(1),
                                                         logger: Logger(label: "steward.inventory")),
                                  connector: DatabaseConnector(configuration: configuration.database, applicationName: "inventory"),
                                  deviceKey: Array(repeating: 0, count: 32),
                                  keys: NodeKeys(path: "/nonexistent", authorityPath: "/nonexistent", masterKeys: [],
                                                 keystore: try EncryptionKeystore.create(clusterName: "inventory")),
                                  logger: Logger(label: "steward.inventory"))
        let unused = TLSConfiguration.makeServerConfiguration(certificateChain: [], privateKey: .file("/nonexistent"))
        let listeners = Listeners(runtime: runtime, tls: unused, agentTLS: unused,
                                  hasher: PasswordHasher(cost: 4), logger: runtime.logger)
        var routes: Set<Route> = []
        for listener in [Listener.http, .https, .webSocket] {
            for route in listeners.router(for: listener).routes {
                routes.insert(Route(method: route.method.rawValue, path: route.path.description))
            }
        }
        return routes
    }
}
