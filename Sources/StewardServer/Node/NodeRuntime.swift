import Logging
import PostgresNIO
import StewardCluster
import StewardConfiguration
import StewardAppData
import StewardDatabase
import StewardJobs
import StewardKeys
import StewardModel
import Synchronization

/// What a running node's HTTP side knows, shared by its routes: the configuration, the membership
/// (who this node is and whether it may work), the cluster's live settings and the database pool.
/// The database is the source of truth; this is the node's cache of its own part.
public final class NodeRuntime: Sendable {
    public let configuration: NodeConfiguration
    public let membership: NodeMembership
    public let settings: LiveSettings
    public let database: DatabasePool
    /// The agent channel's share of the pool (`agentShare(of:)`): a reconnect storm's admissions
    /// wait there, not ahead of API requests and jobs in the pool's own queue.
    public let agentDatabase: PoolShare
    /// All but a fifth of the pool (at least 2 left, at least 1 taken). Half was too little: in the
    /// 10,000-agent benchmark's storm (docs/performance.md) admissions then queued past their 10 s
    /// wait, agents retried, and the node holding them fell behind and lost its lease.
    static func agentShare(of poolSize: Int) -> Int { max(1, poolSize - max(2, poolSize / 5)) }
    /// How long agent work waits for that share: longer than the pool's own wait, because an
    /// admission that fails costs the agent a new TLS handshake, and the node another.
    static let agentDatabaseWait: Duration = .seconds(10)
    public let logger: Logger
    private let inFlight = Atomic<Int>(0)
    let agents = AgentSessions()
    let agentAccepts: AcceptRate
    let authCache = AuthCache()
    let nodeStatuses = NodeStatusSnapshot()
    let whoAmIBodies = EncodedAnswers<WhoAmI>()
    /// Wakes the console's live streams when a NOTIFY reports a change.
    let consoleSignal = ConsoleSignal()
    let devices: DeviceCookies
    public let keys: NodeKeys
    let caches = ClearableCaches()
    let metrics = NodeMetrics()
    public let jobs: JobPool

    public init(configuration: NodeConfiguration, membership: NodeMembership, settings: LiveSettings, database: DatabasePool,
                connector: DatabaseConnector, deviceKey: [UInt8], keys: NodeKeys, logger: Logger) {
        self.keys = keys
        agentAccepts = AcceptRate(perSecond: configuration.listeners.agentAcceptRate)
        let logFolder = AppDataLayout(root: configuration.appDataDirectory).nodeLogDirectory(configuration.nodeName)
        jobs = JobPool(
            registry: NodeJobs.registry(configuration: configuration, logFolder: logFolder, caches: caches),
            builtIns: NodeJobs.builtInSchedules, membership: membership, settings: settings, handlerDatabase: database,
            connector: connector,
            worker: .init(concurrency: configuration.jobWorkers, shutdownGrace: configuration.shutdownTimeout * 0.8),
            metricsFactory: metrics.factory, logger: Logger(label: "steward.jobs"))
        self.configuration = configuration
        self.membership = membership
        self.settings = settings
        self.database = database
        agentDatabase = PoolShare(of: database, permits: Self.agentShare(of: database.size), acquireTimeout: Self.agentDatabaseWait,
                                  purpose: "the agent channel")
        self.devices = DeviceCookies(key: deviceKey)
        self.logger = logger
        let authCache = self.authCache, nodeStatuses = self.nodeStatuses
        caches.add("credentials") { authCache.clear() }
        caches.add("node list") { nodeStatuses.clear() }
        let whoAmIBodies = self.whoAmIBodies
        caches.add("auth/me answers") { whoAmIBodies.clear() }
    }

    public var nodeName: String { configuration.nodeName }
    public var nodeID: NodeID { membership.nodeID }
    public var clusterID: ClusterID { membership.clusterID }
    public var state: MembershipState { membership.state }
    public var clockSkew: Duration { membership.clockSkew }

    /// The cluster's settings as this node last read them (at most one heartbeat old).
    public var cluster: ClusterSettings { settings.current }

    /// Online and inside its lease, right now. A node that was paused fails this the moment it
    /// wakes, before any heartbeat: it never serves as online while the others think it offline.
    public var acceptsWork: Bool { membership.acceptsWork }

    var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
    func requestStarted() { inFlight.add(1, ordering: .relaxed) }
    func requestFinished() { inFlight.subtract(1, ordering: .relaxed) }

    /// The figures the heartbeat publishes.
    var figures: MembershipRuntime.Figures {
        MembershipRuntime.Figures(requestsInFlight: requestsInFlight, agentsConnected: agents.count)
    }

    /// LISTEN went down or came back: the credential cache stops or resumes, idle workers look again.
    func listening(_ up: Bool) {
        authCache.listening(up)
        jobs.worker.listening(up)
    }

    /// Runs a change that revokes credentials (its transaction NOTIFYs the revocation), then waits
    /// until the notification is back here, so that the answer means "refused on every node".
    func revokingEverywhere<T: Sendable>(_ change: () async throws -> T) async throws -> T {
        let heard = authCache.heardCount
        let result = try await change()
        await authCache.waitUntilHeard(after: heard)
        return result
    }

    /// A NOTIFY on one of the channels this node listens to.
    func heard(channel: String, payload: String) {
        if channel == JobQueue.channel || channel == AgentCommandRepository.channel { consoleSignal.fire() }
        switch channel {
        case JobQueue.channel:
            jobs.heard(payload)
        case AgentCommandRepository.channel:
            AgentDelivery(runtime: self, logger: logger).heard(payload)
        case AuthRevocation.channel:
            authCache.heard(payload)
        case KeystoreChanged.channel:
            let keys = self.keys, logger = self.logger
            Task {
                do {
                    let keystore = try await keys.reload()
                    logger.notice("encryption keystore reloaded: data key \(keystore.activeVersion) active, versions \(keystore.dataKeys.map(\.version))")
                } catch {
                    logger.error("the encryption keystore changed but cannot be opened here; this node keeps its previous keys: \(error)")
                }
            }
        default:
            break
        }
    }
}
