import Logging
import StewardConfiguration
import StewardDatabase
import StewardModel

/// What the membership services share: who the node is, its live settings, and the connection its
/// heartbeat and state changes go through (its own, outside the pool: no request load can starve it).
public struct MembershipRuntime: Sendable {
    /// Figures the node publishes with each heartbeat, read from the parts that own them.
    public struct Figures: Sendable {
        public var requestsInFlight: Int
        public var agentsConnected: Int
        public init(requestsInFlight: Int, agentsConnected: Int) {
            self.requestsInFlight = requestsInFlight
            self.agentsConnected = agentsConnected
        }
    }

    public let membership: NodeMembership
    public let settings: LiveSettings
    public let connection: DedicatedConnection
    public let appDataDirectory: String
    public let logger: Logger
    public let figures: @Sendable () -> Figures
    /// Jobs running on this node or finished but not yet recorded: a drain ends when this is 0.
    public let workInProgress: @Sendable () -> Int
    /// Hears how long each heartbeat round trip took (for `/metrics`).
    public let heartbeatObserved: @Sendable (Duration) -> Void

    public init(membership: NodeMembership, settings: LiveSettings, connection: DedicatedConnection, appDataDirectory: String,
                logger: Logger, figures: @escaping @Sendable () -> Figures, workInProgress: @escaping @Sendable () -> Int = { 0 },
                heartbeatObserved: @escaping @Sendable (Duration) -> Void = { _ in }) {
        self.workInProgress = workInProgress
        self.heartbeatObserved = heartbeatObserved
        self.membership = membership
        self.settings = settings
        self.connection = connection
        self.appDataDirectory = appDataDirectory
        self.logger = logger
        self.figures = figures
    }

    var nodes: NodeRepository { NodeRepository(logger: logger) }
}

extension MembershipStateMachine.Limits {
    public init(_ settings: ClusterSettings) {
        self.init(offlineAfter: settings.nodeOfflineAfter, maxClockSkew: settings.maxClockSkew)
    }
}
