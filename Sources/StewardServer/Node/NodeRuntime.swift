import Logging
import PostgresNIO
import StewardConfiguration
import StewardModel
import Synchronization

/// What a running node knows about itself, shared by its routes and services.
/// The database is the source of truth; this is the node's cache of its own part.
public final class NodeRuntime: Sendable {
    public enum State: String, Sendable {
        case online, stopping, stopped
    }

    public let configuration: NodeConfiguration
    public let nodeID: NodeID
    public let clusterID: ClusterID
    public let database: PostgresClient
    public let logger: Logger
    private let mutableState = Mutex<State>(.online)

    public init(configuration: NodeConfiguration, nodeID: NodeID, clusterID: ClusterID, database: PostgresClient, logger: Logger) {
        self.configuration = configuration
        self.nodeID = nodeID
        self.clusterID = clusterID
        self.database = database
        self.logger = logger
    }

    public var state: State {
        get { mutableState.withLock { $0 } }
        set { mutableState.withLock { $0 = newValue } }
    }

    public var nodeName: String { configuration.nodeName }
}
