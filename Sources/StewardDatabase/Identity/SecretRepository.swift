import Foundation
import Logging
import PostgresNIO
import StewardModel

/// The `secrets` table: each value stored only as AES-GCM ciphertext, with the version of the data
/// key that encrypted it. This repository never sees a value; callers encrypt and decrypt.
public struct SecretRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    static let columns = "name, revision, key_version, created_at, created_by, updated_at, updated_by"

    static func decode(_ row: PostgresRow) throws -> SecretInfo {
        let (name, revision, version, created, createdBy, updated, updatedBy) = try row.decode((String, Int, Int, Date, String, Date, String).self)
        return SecretInfo(name: name, revision: revision, keyVersion: version, createdAt: created, createdBy: createdBy,
                          updatedAt: updated, updatedBy: updatedBy)
    }

    /// Stores a new value (or replaces one), with its ciphertext made by the caller.
    public func store(name: String, keyVersion: Int, ciphertext: Data, by actor: String, on runner: some QueryRunner) async throws -> SecretInfo {
        let rows = try await runner.run("""
            INSERT INTO secrets (name, key_version, ciphertext, created_by, updated_by)
            VALUES (\(name), \(keyVersion), \(ciphertext), \(actor), \(actor))
            ON CONFLICT (name) DO UPDATE SET key_version = EXCLUDED.key_version, ciphertext = EXCLUDED.ciphertext,
                revision = secrets.revision + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        guard let row = rows.first else { throw DatabaseError(.query, "secret \(name) was not stored") }
        return try Self.decode(row)
    }

    public func list(on runner: some QueryRunner) async throws -> [SecretInfo] {
        try await runner.run("SELECT \(unescaped: Self.columns) FROM secrets ORDER BY name", logger: logger).map(Self.decode)
    }

    public func info(_ name: String, on runner: some QueryRunner) async throws -> SecretInfo? {
        try await runner.run("SELECT \(unescaped: Self.columns) FROM secrets WHERE name = \(name)", logger: logger).first.map(Self.decode)
    }

    /// The stored ciphertext, for a server-side read (always audited by the caller).
    public func ciphertext(_ name: String, on runner: some QueryRunner) async throws -> (keyVersion: Int, ciphertext: Data)? {
        try await runner.run("SELECT key_version, ciphertext FROM secrets WHERE name = \(name)", logger: logger)
            .first.map { try $0.decode((Int, Data).self) }
    }

    @discardableResult
    public func delete(_ name: String, on runner: some QueryRunner) async throws -> Bool {
        try await runner.run("DELETE FROM secrets WHERE name = \(name) RETURNING 1", logger: logger).count == 1
    }

    /// How many secrets each data key version encrypts.
    public func countsByKeyVersion(on runner: some QueryRunner) async throws -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for row in try await runner.run("SELECT key_version, count(*)::int FROM secrets GROUP BY key_version", logger: logger) {
            let (version, count) = try row.decode((Int, Int).self)
            counts[version] = count
        }
        return counts
    }

    /// Up to `limit` secrets not on `activeVersion`, locked for the caller's transaction (other
    /// rotators skip them), for re-encryption.
    public func lockBatch(notOn activeVersion: Int, limit: Int, on connection: PostgresConnection) async throws -> [(name: String, keyVersion: Int, ciphertext: Data)] {
        try await connection.run("""
            SELECT name, key_version, ciphertext FROM secrets WHERE key_version <> \(activeVersion)
            ORDER BY name LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """, logger: logger).map { try $0.decode((String, Int, Data).self) }
    }

    /// Replaces a locked secret's ciphertext with one under another key version; the revision stays.
    public func reencrypted(_ name: String, keyVersion: Int, ciphertext: Data, on connection: PostgresConnection) async throws {
        try await connection.run("UPDATE secrets SET key_version = \(keyVersion), ciphertext = \(ciphertext) WHERE name = \(name)", logger: logger)
    }
}

/// The cluster's CA certificates (never their keys) and the keystore the cluster belongs with.
public struct AuthorityRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    public struct Record: Sendable, Equatable {
        public let serial: String
        public let certificatePEM: String
        public let pin: String
        public let state: String
        public init(serial: String, certificatePEM: String, pin: String, state: String) {
            self.serial = serial
            self.certificatePEM = certificatePEM
            self.pin = pin
            self.state = state
        }
    }

    public func keystoreID(on runner: some QueryRunner) async throws -> UUID? {
        try await runner.run("SELECT keystore_id FROM cluster", logger: logger).first?.decode(UUID?.self) ?? nil
    }

    public func recordKeystore(_ id: UUID, on runner: some QueryRunner) async throws {
        try await runner.run("UPDATE cluster SET keystore_id = \(id), updated_at = now()", logger: logger)
    }

    /// Publishes the CA certificates (insert or update state).
    public func publish(_ records: [Record], on runner: some QueryRunner) async throws {
        for record in records {
            try await runner.run("""
                INSERT INTO cluster_authorities (serial, certificate, pin, state) VALUES (\(record.serial), \(record.certificatePEM), \(record.pin), \(record.state))
                ON CONFLICT (serial) DO UPDATE SET state = EXCLUDED.state
                """, logger: logger)
        }
    }

    public func list(on runner: some QueryRunner) async throws -> [Record] {
        try await runner.run("SELECT serial, certificate, pin, state FROM cluster_authorities ORDER BY created_at", logger: logger).map { row in
            let (serial, certificate, pin, state) = try row.decode((String, String, String, String).self)
            return Record(serial: serial, certificatePEM: certificate, pin: pin, state: state)
        }
    }
}
