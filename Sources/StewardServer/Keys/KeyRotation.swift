import Foundation
import PostgresNIO
import StewardDatabase
import StewardKeys
import StewardModel

/// Rotation of the data keys while the cluster runs, in steps that can be interrupted anywhere:
/// `start` adds a data key (unless a rotation is already unfinished), `batch` re-encrypts some
/// secrets with the active key, `finish` retires the keys nothing uses any more. Each step reads the
/// keystore file afresh under the cluster-wide keystore lock, so steps through different nodes, or
/// a step repeated after a kill, always work on the current keystore.
struct KeyRotation: Sendable {
    let runtime: NodeRuntime

    var secrets: SecretRepository { SecretRepository(logger: runtime.logger) }

    func status() async throws -> KeysStatus {
        let keystore = try await runtime.keys.reload()
        let counts = try await secrets.countsByKeyVersion(on: runtime.database)
        let versions = keystore.dataKeys.map { KeysStatus.Version(version: $0.version, active: $0.isActive, secrets: counts[$0.version] ?? 0) }
        let remaining = counts.filter { $0.key != keystore.activeVersion }.values.reduce(0, +)
        return KeysStatus(keystoreID: keystore.keystoreID, activeVersion: keystore.activeVersion, versions: versions,
                          remaining: remaining, masterKeyFingerprint: keystore.sealedWith ?? "")
    }

    /// The master key that sealed the current file (this node holds it, or it could not have opened it).
    func sealer(for keystore: EncryptionKeystore) throws -> MasterKey {
        guard let key = runtime.keys.masterKeys.first(where: { $0.fingerprint == keystore.sealedWith }) else {
            throw APIError(status: .conflict, message: "this node does not hold the master key that sealed the keystore; use another node")
        }
        return key
    }

    func start(by actor: String, source: String?) async throws -> RotationProgress {
        let runtime = self.runtime, secrets = self.secrets
        let (progress, changed) = try await runtime.transaction { connection -> (RotationProgress, Bool) in
            try await KeystoreLock.exclusive(on: connection, logger: runtime.logger)
            var keystore = try await runtime.keys.reload()
            let remaining = try await Self.remaining(keystore, secrets, connection)
            var changed = false
            if remaining == 0 {
                keystore = keystore.addingDataKey()
                try await runtime.keys.replace(with: keystore, sealedWith: try sealer(for: keystore))
                try await KeystoreChanged.notify(on: connection, logger: runtime.logger)
                try await AuditTrail(runtime: runtime).record(actor: actor, action: "keys.rotate", target: "data key \(keystore.activeVersion)",
                                                              source: source, on: connection)
                changed = true
            }
            let left = try await Self.remaining(keystore, secrets, connection)
            return (RotationProgress(activeVersion: keystore.activeVersion, reencrypted: 0, remaining: left, retiredVersions: []), changed)
        }
        if changed { runtime.logger.notice("data key \(progress.activeVersion) is active; \(progress.remaining) secret(s) to re-encrypt") }
        return progress
    }

    /// Re-encrypts up to `limit` secrets with the active data key, in one transaction.
    func batch(limit: Int) async throws -> RotationProgress {
        let runtime = self.runtime, secrets = self.secrets
        return try await runtime.transaction { connection in
            try await KeystoreLock.shared(on: connection, logger: runtime.logger)
            let keystore = try await runtime.keys.reload()
            let active = keystore.activeVersion
            guard let activeKey = keystore.dataKey(version: active) else { throw APIError(status: .conflict, message: "no active data key") }
            let rows = try await secrets.lockBatch(notOn: active, limit: limit, on: connection)
            for row in rows {
                guard let oldKey = keystore.dataKey(version: row.keyVersion) else {
                    throw APIError(status: .conflict, message: "secret \(row.name) uses data key \(row.keyVersion), which the keystore no longer holds")
                }
                let value: Data
                do throws(KeyError) {
                    value = try DataEncryption.open(row.ciphertext, name: row.name, keyVersion: row.keyVersion, key: oldKey)
                } catch {
                    throw APIError(status: .conflict, message: error.message)
                }
                let fresh = try DataEncryption.seal(value, name: row.name, keyVersion: active, key: activeKey)
                try await secrets.reencrypted(row.name, keyVersion: active, ciphertext: fresh, on: connection)
            }
            let left = try await Self.remaining(keystore, secrets, connection)
            return RotationProgress(activeVersion: active, reencrypted: rows.count, remaining: left, retiredVersions: [])
        }
    }

    /// Takes the data keys no secret uses (and that are not active) out of the keystore.
    func finish(by actor: String, source: String?) async throws -> RotationProgress {
        let runtime = self.runtime, secrets = self.secrets
        return try await runtime.transaction { connection in
            try await KeystoreLock.exclusive(on: connection, logger: runtime.logger)
            let keystore = try await runtime.keys.reload()
            let counts = try await secrets.countsByKeyVersion(on: connection)
            let unused = Set(keystore.dataKeys.filter { !$0.isActive && (counts[$0.version] ?? 0) == 0 }.map(\.version))
            if !unused.isEmpty {
                try await runtime.keys.replace(with: keystore.retiring(unusedVersions: unused), sealedWith: try sealer(for: keystore))
                try await KeystoreChanged.notify(on: connection, logger: runtime.logger)
                try await AuditTrail(runtime: runtime).record(actor: actor, action: "keys.retire", target: "data keys \(unused.sorted())",
                                                              source: source, on: connection)
            }
            let left = counts.filter { $0.key != keystore.activeVersion }.values.reduce(0, +)
            return RotationProgress(activeVersion: keystore.activeVersion, reencrypted: 0, remaining: left, retiredVersions: unused.sorted())
        }
    }

    /// Seals the keystore with this node's next master key and records that key as the cluster's
    /// (step two of a master key change, docs/keys.md).
    func reseal(by actor: String, source: String?) async throws -> KeysStatus {
        guard runtime.keys.masterKeys.count > 1 else {
            throw APIError(status: .conflict, message:
                "this node has no server.master.key.next.file: put the new master key file on every node, name it there, restart them, then reseal")
        }
        let next = runtime.keys.masterKeys[1]
        let runtime = self.runtime
        try await runtime.transaction { connection in
            try await KeystoreLock.exclusive(on: connection, logger: runtime.logger)
            let keystore = try await runtime.keys.reload()
            try await runtime.keys.replace(with: keystore, sealedWith: next)
            try await ClusterRepository(logger: runtime.logger).recordMasterKeyFingerprint(next.fingerprint, on: connection)
            try await KeystoreChanged.notify(on: connection, logger: runtime.logger)
            try await AuditTrail(runtime: runtime).record(actor: actor, action: "keys.reseal", target: next.fingerprint, source: source,
                                                          details: ["previous": keystore.sealedWith ?? ""], on: connection)
        }
        return try await status()
    }

    static func remaining(_ keystore: EncryptionKeystore, _ secrets: SecretRepository, _ connection: PostgresConnection) async throws -> Int {
        try await secrets.countsByKeyVersion(on: connection).filter { $0.key != keystore.activeVersion }.values.reduce(0, +)
    }
}
