import Foundation
import Logging
import PostgresNIO
import StewardModel

/// The single `cluster` row: which cluster this database holds, at which schema and software version.
public struct ClusterRecord: Sendable, Equatable {
    public let clusterID: ClusterID
    public let schemaVersion: Int
    public let softwareVersion: SoftwareVersion
    public let createdAt: Date
}

public struct ClusterRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    public func fetch(on runner: some QueryRunner) async throws -> ClusterRecord? {
        let rows = try await runner.run(
            "SELECT cluster_id, schema_version, software_version, created_at FROM cluster", logger: logger
        )
        guard let row = rows.first else { return nil }
        let (id, schema, software, created) = try row.decode((UUID, Int, String, Date).self)
        guard let version = SoftwareVersion(software) else {
            throw DatabaseError(.query, "the cluster row holds an unreadable software version '\(software)'")
        }
        return ClusterRecord(clusterID: ClusterID(id), schemaVersion: schema, softwareVersion: version, createdAt: created)
    }

    public func create(id: ClusterID, schemaVersion: Int, softwareVersion: SoftwareVersion, on runner: some QueryRunner) async throws -> ClusterRecord {
        let rows = try await runner.run("""
            INSERT INTO cluster (cluster_id, schema_version, software_version)
            VALUES (\(id.uuid), \(schemaVersion), \(softwareVersion.description))
            RETURNING created_at
            """, logger: logger)
        let created = try rows.first?.decode(Date.self) ?? Date()
        return ClusterRecord(clusterID: id, schemaVersion: schemaVersion, softwareVersion: softwareVersion, createdAt: created)
    }

    /// Records an upgrade: a node on a newer version has migrated the schema.
    public func recordUpgrade(schemaVersion: Int, softwareVersion: SoftwareVersion, on runner: some QueryRunner) async throws {
        try await runner.run("""
            UPDATE cluster SET schema_version = \(schemaVersion), software_version = \(softwareVersion.description), updated_at = now()
            """, logger: logger)
    }
}

/// The fingerprints every node must match: of the master key and of the TLS certificate.
public struct ClusterFingerprints: Sendable, Equatable {
    public var masterKey: String?
    public var tls: String?

    public init(masterKey: String?, tls: String?) {
        self.masterKey = masterKey
        self.tls = tls
    }
}

extension ClusterRepository {
    public func fingerprints(on runner: some QueryRunner) async throws -> ClusterFingerprints {
        let row = try await runner.run("SELECT master_key_fingerprint, tls_fingerprint FROM cluster", logger: logger).first
        let (master, tls) = try row?.decode((String?, String?).self) ?? (nil, nil)
        return ClusterFingerprints(masterKey: master, tls: tls)
    }

    public func recordFingerprints(_ fingerprints: ClusterFingerprints, on runner: some QueryRunner) async throws {
        try await runner.run("""
            UPDATE cluster SET master_key_fingerprint = \(fingerprints.masterKey), tls_fingerprint = \(fingerprints.tls), updated_at = now()
            """, logger: logger)
    }
}

extension ClusterRepository {
    /// The key that signs device cookies, made once by whichever node first needs it (32 random bytes).
    /// It lets a node tell a device that has logged in before from a new one; it guards no data.
    public func deviceKey(on connection: PostgresConnection) async throws -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let fresh = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try await connection.run("UPDATE cluster SET device_key = \(fresh) WHERE device_key IS NULL", logger: logger)
        guard let key = try await connection.run("SELECT device_key FROM cluster", logger: logger).first?.decode(Data?.self) ?? nil else {
            throw DatabaseError(.clusterMissing, "the cluster row has no device key")
        }
        return Array(key)
    }
}

extension ClusterRepository {
    /// A master key change: from now on nodes must hold this key (the keystore is sealed with it).
    public func recordMasterKeyFingerprint(_ fingerprint: String, on runner: some QueryRunner) async throws {
        try await runner.run("UPDATE cluster SET master_key_fingerprint = \(fingerprint), updated_at = now()", logger: logger)
    }
}
