import Foundation
import Logging
import PostgresNIO
import StewardAppData
import StewardConfiguration
import StewardDatabase
import StewardKeys
import StewardModel

/// The start-up conversation with the shared database, all in one transaction under the schema
/// lock: migrate, create or check the cluster row, match it with appdata's `cluster.id`, seed and read
/// the cluster settings, and register this start of the node as a new incarnation. Nodes starting
/// together queue on the lock, so exactly one of them creates the cluster and writes `cluster.id`;
/// the others find both already there.
public struct ClusterJoin: Sendable {
    let configuration: NodeConfiguration
    let appData: AppDataVerifier
    /// Write `cluster.id` into an appdata folder that has none (an operator's explicit choice).
    let claimAppData: Bool
    let host: String
    let masterKeys: [MasterKey]
    let tlsFingerprint: String
    let rejoin: Bool
    let acceptNewCertificate: Bool
    /// Runs inside the join's transaction once the cluster exists (the first admin account is made here).
    let prepare: @Sendable (PostgresConnection) async throws -> Void
    let logger: Logger

    public init(configuration: NodeConfiguration, appData: AppDataVerifier, claimAppData: Bool, host: String,
                masterKeys: [MasterKey], tlsFingerprint: String, rejoin: Bool, acceptNewCertificate: Bool,
                prepare: @escaping @Sendable (PostgresConnection) async throws -> Void, logger: Logger) {
        self.configuration = configuration
        self.appData = appData
        self.claimAppData = claimAppData
        self.host = host
        self.masterKeys = masterKeys
        self.tlsFingerprint = tlsFingerprint
        self.rejoin = rejoin
        self.acceptNewCertificate = acceptNewCertificate
        self.prepare = prepare
        self.logger = logger
    }

    public struct Result: Sendable {
        public let cluster: ClusterRecord
        public let registered: NodeRepository.Registered
        public let createdCluster: Bool
        public let appliedMigrations: [Int]
        public let settings: ClusterSettings
        public let settingsVersion: Int64
        /// Members of the cluster (this node included) once it has joined.
        public let memberCount: Int
        /// Connections the database server allows its ordinary users (max_connections less the reserved ones).
        public let connectionLimit: Int
        /// Signs the device cookies of clients that have logged in.
        public let deviceKey: [UInt8]
        /// The cluster's encryption keystore, unsealed (created with the cluster).
        public let keystore: EncryptionKeystore
    }

    public func run(on connection: PostgresConnection) async throws -> Result {
        do {
            return try await joinInTransaction(connection)
        } catch {
            throw DatabaseError.readable(error)
        }
    }

    func joinInTransaction(_ connection: PostgresConnection) async throws -> Result {
        try await connection.withTransaction(logger: logger) { connection in
            try await SchemaMigrator.lock(connection, logger: logger)
            let migration = try await SchemaMigrator(logger: logger).migrate(connection)
            let clusters = ClusterRepository(logger: logger)
            var createdCluster = false
            let cluster: ClusterRecord
            if let existing = try await clusters.fetch(on: connection) {
                if let refusal = SchemaCompatibility.check(existing) { throw refusal }
                try checkAppData(belongsTo: existing.clusterID)
                if existing.softwareVersion < StewardVersion.current || existing.schemaVersion < migration.schemaVersion {
                    try await clusters.recordUpgrade(schemaVersion: migration.schemaVersion, softwareVersion: StewardVersion.current, on: connection)
                    logger.notice("cluster upgraded", metadata: ["from": "\(existing.softwareVersion)", "to": "\(StewardVersion.current)"])
                }
                cluster = try await clusters.fetch(on: connection) ?? existing
            } else {
                if let foreign = try appData.readClusterID() {
                    throw AppDataError(.orphaned, path: appData.layout.clusterIDFile, detail:
                        "appdata \(appData.layout.root) belongs to cluster \(foreign), but the database \(configuration.database.displayURL) holds no cluster; point database.url at that cluster's database, or server.appdata.dir at a new appdata folder")
                }
                cluster = try await clusters.create(
                    id: ClusterID(), schemaVersion: migration.schemaVersion, softwareVersion: StewardVersion.current, on: connection)
                // Written inside the transaction: if the file cannot be written, the cluster row is rolled back.
                try appData.writeClusterID(cluster.clusterID)
                createdCluster = true
            }
            let settingsRepository = SettingsRepository(logger: logger)
            try await settingsRepository.seed(configuration.bootstrapSettings, by: configuration.nodeName, on: connection)
            let (settings, version) = try await settingsRepository.load(on: connection)
            try await checkFingerprints(on: connection, newCluster: createdCluster)
            let keystore = try await openOrCreateKeystore(cluster: cluster, on: connection)
            try await prepare(connection)
            let registration = NodeRegistration(
                name: configuration.nodeName, host: host, httpPort: configuration.httpPort,
                httpsPort: configuration.httpsPort, webSocketPort: configuration.webSocketPort,
                softwareVersion: StewardVersion.current, pid: getpid())
            let rules = JoinRules(activeWithin: settings.nodeOfflineAfter, maxNodes: settings.maxNodes, rejoin: rejoin)
            let registered = try await NodeRepository(logger: logger).register(registration, rules: rules, on: connection)
            let members = try await NodeRepository(logger: logger).statuses(on: connection).filter { $0.stateCode.isMember }.count
            let limit = try await connection.run("""
                SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
                """, logger: logger).first?.decode(Int.self) ?? 0
            let deviceKey = try await clusters.deviceKey(on: connection)
            return Result(cluster: cluster, registered: registered, createdCluster: createdCluster, appliedMigrations: migration.applied,
                          settings: settings, settingsVersion: version, memberCount: members, connectionLimit: limit, deviceKey: deviceKey,
                          keystore: keystore)
        }
    }

    /// Same master key and certificate as the cluster; the first node records them.
    func checkFingerprints(on connection: PostgresConnection, newCluster: Bool) async throws {
        let clusters = ClusterRepository(logger: logger)
        let recorded = try await clusters.fingerprints(on: connection)
        let (fingerprints, accepted) = KeyFingerprints.node(masterKeys, tlsFingerprint: tlsFingerprint)
        guard let update = try KeyFingerprints.reconcile(cluster: recorded, node: fingerprints, acceptedMasterKeys: accepted,
                                                         acceptNewCertificate: acceptNewCertificate) else { return }
        try await clusters.recordFingerprints(update, on: connection)
        if !newCluster, recorded.tls != nil, recorded.tls != update.tls {
            try await AuditRepository(logger: logger).record(
                .init(actor: configuration.nodeName, action: "cluster.certificate", target: update.tls, node: configuration.nodeName,
                      sourceAddress: nil, details: ["previous": recorded.tls ?? "none"]), on: connection)
            logger.notice("the cluster's certificate is now \(update.tls ?? "none") (accepted with --accept-new-certificate)")
        }
    }

    func checkAppData(belongsTo clusterID: ClusterID) throws {
        switch try appData.readClusterID() {
        case clusterID?:
            return
        case let other?:
            throw AppDataError(.foreignCluster, path: appData.layout.clusterIDFile, detail:
                "appdata \(appData.layout.root) belongs to cluster \(other), but the database \(configuration.database.displayURL) holds cluster \(clusterID); point server.appdata.dir at cluster \(clusterID)'s shared appdata (the file was left unchanged)")
        case nil where claimAppData:
            try appData.writeClusterID(clusterID)
            logger.notice("appdata claimed for this cluster", metadata: ["appdata": "\(appData.layout.root)", "cluster": "\(clusterID)"])
        case nil:
            throw AppDataError(.unclaimed, path: appData.layout.clusterIDFile, detail:
                "appdata \(appData.layout.root) has no cluster.id, but the database holds cluster \(clusterID): every node must use the cluster's shared appdata. If this folder is that appdata (newly migrated), start once with --claim-appdata")
        }
    }

    /// The keystore in appdata, opened with this node's master key; the first node of a cluster (or of
    /// a cluster from before keystores) creates it, under the schema lock. One that is missing where the
    /// database says one exists, or that belongs to another cluster, is refused.
    func openOrCreateKeystore(cluster: ClusterRecord, on connection: PostgresConnection) async throws -> EncryptionKeystore {
        let (path, authorityPath) = NodeKeys.paths(appData: appData.layout.root)
        let authorities = AuthorityRepository(logger: logger)
        let recorded = try await authorities.keystoreID(on: connection)
        let keystore: EncryptionKeystore
        if FileManager.default.fileExists(atPath: path) {
            keystore = try NodeKeys.read(path: path, masterKeys: masterKeys)
            if let recorded, recorded != keystore.keystoreID {
                throw KeyError(.foreignKeystore, path: path,
                    "\(path) is keystore \(keystore.keystoreID), but this cluster's is \(recorded): the appdata holds another cluster's keystore; restore this cluster's from backup")
            }
        } else {
            if let recorded {
                throw KeyError(.keystoreMissing, path: path,
                    "\(path) is missing, and this cluster's secrets and CA key are sealed in it (keystore \(recorded)); restore it from the backup of the shared appdata (it is useless without the master key, so the backup is safe to keep)")
            }
            keystore = try EncryptionKeystore.create(clusterName: cluster.clusterID.description)
            try NodeKeys.write(keystore, sealedWith: masterKeys[0], path: path, authorityPath: authorityPath)
            logger.notice("created the encryption keystore \(path) and the cluster CA (pin \(keystore.activeAuthority?.pin ?? "?"))")
        }
        if recorded == nil {
            try await authorities.recordKeystore(keystore.keystoreID, on: connection)
        }
        try await authorities.publish(keystore.authorities.map {
            .init(serial: $0.serial, certificatePEM: $0.certificatePEM, pin: $0.pin, state: $0.state.rawValue)
        }, on: connection)
        return keystore
    }
}
