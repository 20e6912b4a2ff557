import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import StewardAppData
import StewardCluster
import StewardConfiguration
import StewardDatabase
import StewardJobs
import StewardKeys
import StewardModel

/// The composition root: checks everything, joins the cluster, then runs every long-lived part
/// of a node in one `ServiceGroup` that SIGTERM and SIGINT shut down gracefully, in reverse order.
public struct StewardNode {
    public struct Options: Sendable {
        public var claimAppData = false
        /// Let a decommissioned node join again.
        public var rejoin = false
        /// Record this node's certificate as the cluster's (after replacing it everywhere).
        public var acceptNewCertificate = false
        public init() {}
    }

    let configuration: NodeConfiguration
    let options: Options
    let sink: LogSink

    public init(configuration: NodeConfiguration, options: Options, sink: LogSink) {
        self.configuration = configuration
        self.options = options
        self.sink = sink
    }

    /// Runs the node until it is asked to stop. Throws a start-up refusal (one clear line).
    public func run() async throws {
        let logger = Logger(label: "steward.server")
        for secret in [configuration.database.password, configuration.keystorePassword].compactMap({ $0 }) {
            sink.redact(secret.value)
        }
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let adminPassword = try FirstAdmin.environmentPassword(minimumLength: configuration.bootstrapSettings.passwordMinimumLength)
        if let adminPassword { sink.redact(adminPassword) }
        let startup = NodeStartup(configuration: configuration)
        try startup.checkPorts()
        let tls = try startup.loadTLS()
        let report = try startup.verifyAppData()
        let lock = try NodeLock.acquire(folder: startup.layout.nodeLogDirectory(configuration.nodeName), owner: configuration.nodeName)
        sink.apply(try startup.loadLogSettings())
        try sink.openFile(startup.layout.nodeLogDirectory(configuration.nodeName) + "/server.log")
        #if DEBUG
        if StewardVersion.pretendsNextVersion {
            logger.critical("STEWARD_TEST_PRETEND_NEXT_VERSION is set: this node claims to be \(StewardVersion.current) for an upgrade test; never use it in production")
        }
        #endif
        logger.info("starting", metadata: [
            "node": "\(configuration.nodeName)", "version": "\(StewardVersion.current)",
            "appdata": "\(configuration.appDataDirectory)", "config": "\(configuration.configFile)",
            "tls.entry": "\(tls.entry.alias)",
        ])
        if !report.created.isEmpty { logger.notice("created missing appdata folders: \(report.created.joined(separator: ", "))") }

        let databaseLogger = Logger(label: "steward.database")
        let connector = DatabaseConnector(configuration: configuration.database, applicationName: "steward-server \(configuration.nodeName)")
        let hasher = PasswordHasher(cost: configuration.security.bcryptCost)
        let firstAdmin = FirstAdmin(hasher: hasher, layout: startup.layout, password: adminPassword, logger: logger)
        let masterKeys = try startup.loadMasterKeys()
        let joined = try await join(connector: connector, layout: startup.layout, firstAdmin: firstAdmin, masterKeys: masterKeys,
                                    tlsFingerprint: try tls.entry.fingerprint(), logger: databaseLogger)
        let (keystorePath, authorityPath) = NodeKeys.paths(appData: configuration.appDataDirectory)
        let keys = NodeKeys(path: keystorePath, authorityPath: authorityPath, masterKeys: masterKeys, keystore: joined.keystore)
        for conflict in configuration.settingConflicts(with: joined.settings) { logger.warning("\(conflict)") }
        if let warning = Self.connectionBudget(members: joined.memberCount, poolSize: configuration.database.poolSize,
                                               limit: joined.connectionLimit) {
            logger.warning("\(warning)")
        }
        let client = try connector.makeClient(logger: databaseLogger)
        let pool = DatabasePool(client: client, size: configuration.database.poolSize, acquireTimeout: configuration.database.acquireTimeout,
                                statementTimeout: configuration.database.statementTimeout, logger: databaseLogger)
        let membership = NodeMembership(
            nodeID: joined.registered.nodeID, nodeName: configuration.nodeName, clusterID: joined.cluster.clusterID,
            incarnation: joined.registered.incarnation, limits: .init(joined.settings))
        let settings = LiveSettings(joined.settings, version: joined.settingsVersion)
        let runtime = NodeRuntime(configuration: configuration, membership: membership, settings: settings, database: pool,
                                  connector: connector, deviceKey: joined.deviceKey, keys: keys, logger: logger)
        let heartbeatConnection = DedicatedConnection(connector: connector, purpose: "heartbeat", logger: databaseLogger,
                                                  eventLoop: DedicatedConnection.ownThread)
        let presence = MembershipRuntime(
            membership: membership, settings: settings, connection: heartbeatConnection,
            appDataDirectory: configuration.appDataDirectory, logger: logger, figures: { runtime.figures },
            workInProgress: { runtime.jobs.worker.workInProgress }, heartbeatObserved: { runtime.metrics.observeHeartbeat($0) })

        if let warning = DescriptorLimit.raise(toFit: configuration.listeners.descriptorsNeeded) { logger.warning("\(warning)") }
        let agentTLS = try AgentChannelTLS.configuration(node: configuration, keystore: keys.keystore)
        let listeners = Listeners(runtime: runtime, tls: tls.configuration, agentTLS: agentTLS, hasher: hasher, logger: logger)
        let applications = try listeners.applications()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: client),
            .init(service: LogConfigurationWatcher(path: startup.layout.logConfigurationFile, sink: sink, logger: logger)),
            .init(service: NodePresenceService(runtime: presence)),
            .init(service: AgentPermitWatcher(runtime: runtime)),
            .init(service: AgentPresence(runtime: runtime)),
            .init(service: PostgresListener(
                connector: connector, channels: [AuthRevocation.channel, KeystoreChanged.channel, JobQueue.channel, AgentCommandRepository.channel], logger: databaseLogger,
                onNotification: { channel, payload in runtime.heard(channel: channel, payload: payload) },
                onState: { runtime.listening($0) })),
        ]
        // After the heartbeat and the pool, so both outlast running jobs at shutdown.
        services += runtime.jobs.services.map { .init(service: $0) }
        services.append(.init(service: ListenerCountersReporter(counters: applications.counters, limits: listeners.limits, logger: logger)))
        services += applications.services.map { .init(service: $0) }
        services.append(.init(service: ShutdownSentinel(runtime: presence, drainDelay: configuration.shutdownDrainDelay),
                              successTerminationBehavior: .ignore))
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        groupConfiguration.maximumCancellationDuration = .seconds(5)

        logger.notice("node online", metadata: [
            "cluster": "\(joined.cluster.clusterID)", "node.id": "\(joined.registered.nodeID)",
            "incarnation": "\(joined.registered.incarnation)",
            "http": "\(configuration.bindAddress):\(configuration.httpPort)",
            "https": "\(configuration.bindAddress):\(configuration.httpsPort)",
            "websocket": "\(configuration.bindAddress):\(configuration.webSocketPort)",
        ])
        var failure: (any Error)?
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            failure = error
            logger.error("stopped on error: \(error)")
        }
        membership.finishUpdates()
        await heartbeatConnection.close()
        if !membership.state.isFenced {
            await markStopped(connector: connector, registered: joined.registered, logger: databaseLogger)
        }
        withExtendedLifetime(lock) {}
        logger.notice("stopped")
        if let failure { throw failure }
    }

    func join(connector: DatabaseConnector, layout: AppDataLayout, firstAdmin: FirstAdmin, masterKeys: [MasterKey],
              tlsFingerprint: String, logger: Logger) async throws -> ClusterJoin.Result {
        let connection = try await connector.connect(logger: logger)
        let node = configuration.nodeName
        let join = ClusterJoin(
            configuration: configuration, appData: AppDataVerifier(layout: layout), claimAppData: options.claimAppData,
            host: configuration.advertisedHost, masterKeys: masterKeys, tlsFingerprint: tlsFingerprint, rejoin: options.rejoin,
            acceptNewCertificate: options.acceptNewCertificate,
            prepare: { connection in try await firstAdmin.createIfNeeded(node: node, on: connection) }, logger: logger)
        let result: ClusterJoin.Result
        do {
            result = try await join.run(on: connection)
        } catch {
            try? await connection.close()
            throw error
        }
        if result.createdCluster { logger.notice("created cluster \(result.cluster.clusterID)") }
        if !result.appliedMigrations.isEmpty {
            logger.notice("schema migrated to version \(result.cluster.schemaVersion)", metadata: ["applied": "\(result.appliedMigrations)"])
        }
        try await connection.close()
        return result
    }

    /// On its own connection: by now the pool has shut down with the rest of the group.
    func markStopped(connector: DatabaseConnector, registered: NodeRepository.Registered, logger: Logger) async {
        let connection = DedicatedConnection(connector: connector, purpose: "stop", logger: logger)
        do {
            let marked = try await connection.run(.seconds(5), "marking the node stopped") { connection in
                try await NodeRepository(logger: logger).markStopped(registered.nodeID, incarnation: registered.incarnation, on: connection)
            }
            if !marked { logger.notice("not marked stopped: the node's row belongs to another incarnation now") }
        } catch {
            logger.warning("could not mark the node stopped in the database: \(error)")
        }
        await connection.close()
    }

    /// Connections each node holds besides its pool: heartbeat, LISTEN, job claims, job results, leader.
    static let ownConnections = 5

    /// Warns when the cluster would use most of what the database allows (the nodes would then be
    /// refused connections).
    static func connectionBudget(members: Int, poolSize: Int, limit: Int) -> String? {
        let needed = max(members, 1) * (poolSize + ownConnections)
        guard limit > 0, Double(needed) >= Double(limit) * 0.8 else { return nil }
        return "\(max(members, 1)) nodes × (database.pool.size \(poolSize) + \(ownConnections) own connections) = \(needed) database connections, and the server allows \(limit) (max_connections less the reserved ones); raise max_connections, or lower database.pool.size"
    }
}
