import Logging
import PostgresNIO
import StewardCluster
import StewardConfiguration
import StewardModel
import Synchronization

/// What a running node knows about itself, shared by its routes and services.
/// The database is the source of truth; this is the node's cache of its own part.
public final class NodeRuntime: Sendable {
    public let configuration: NodeConfiguration
    public let nodeID: NodeID
    public let clusterID: ClusterID
    public let database: PostgresClient
    public let logger: Logger
    private let membership: Mutex<MembershipStateMachine>
    private let inFlight = Atomic<Int>(0)
    let agents = AgentConnections()

    public init(configuration: NodeConfiguration, nodeID: NodeID, clusterID: ClusterID, database: PostgresClient, logger: Logger) {
        self.configuration = configuration
        self.nodeID = nodeID
        self.clusterID = clusterID
        self.database = database
        self.logger = logger
        let limits = MembershipStateMachine.Limits(
            offlineAfter: configuration.cluster.nodeOfflineAfter, maxClockSkew: configuration.cluster.maxClockSkew)
        membership = Mutex(MembershipStateMachine(limits: limits, startedAt: .now))
    }

    public var nodeName: String { configuration.nodeName }

    public var state: MembershipState { membership.withLock { $0.state } }

    public var clockSkew: Duration { membership.withLock { $0.clockSkew } }

    /// Online and inside its lease, right now. A node that was paused fails this the moment it
    /// wakes, before any heartbeat: it never serves as online while the others think it offline.
    public var acceptsWork: Bool { membership.withLock { $0.acceptsWork(at: .now) } }

    /// Feeds one event to the membership state machine; the caller carries out the actions.
    func membershipEvent(_ event: (inout MembershipStateMachine) -> [MembershipStateMachine.Action]) -> [MembershipStateMachine.Action] {
        membership.withLock { event(&$0) }
    }

    var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
    func requestStarted() { inFlight.add(1, ordering: .relaxed) }
    func requestFinished() { inFlight.subtract(1, ordering: .relaxed) }
}
