import Crypto
import Foundation
import StewardAppData
import Synchronization

/// A running node's keys: the master key (and, during a change, the next one), and the unsealed
/// keystore, kept in memory and read again from the shared appdata whenever another node changes it
/// (a rotation, a reseal), or whenever a value names a data key version this node has not seen yet.
public final class NodeKeys: Sendable {
    public let path: String
    public let authorityPath: String
    /// The current master key first, then the next one while a change is under way.
    public let masterKeys: [MasterKey]
    private let loaded: Mutex<EncryptionKeystore>

    public init(path: String, authorityPath: String, masterKeys: [MasterKey], keystore: EncryptionKeystore) {
        self.path = path
        self.authorityPath = authorityPath
        self.masterKeys = masterKeys
        loaded = Mutex(keystore)
    }

    public var keystore: EncryptionKeystore { loaded.withLock { $0 } }

    /// `conf/encryption.keystore` and `conf/cluster-ca.pem` of an appdata folder.
    public static func paths(appData: String) -> (keystore: String, authority: String) {
        (appData + "/conf/encryption.keystore", appData + "/conf/cluster-ca.pem")
    }

    /// Reads and opens the keystore file; throws the check that failed.
    public static func read(path: String, masterKeys: [MasterKey]) throws(KeyError) -> EncryptionKeystore {
        guard FileManager.default.fileExists(atPath: path) else {
            throw KeyError(.keystoreMissing, path: path, "\(path) does not exist")
        }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw KeyError(.keystoreUnreadable, path: path, "\(path) cannot be read by this node's user; check its owner and mode (0600)")
        }
        return try EncryptionKeystore.open(bytes, path: path, masterKeys: masterKeys)
    }

    /// Seals `keystore` with `masterKey`, writes it atomically (temp file, fsync, rename) with mode
    /// 0600, and publishes its CA certificates as `conf/cluster-ca.pem`.
    public static func write(_ keystore: EncryptionKeystore, sealedWith masterKey: MasterKey, path: String, authorityPath: String) throws {
        try AtomicFile.write(try keystore.sealed(with: masterKey), to: path, permissions: 0o600)
        let pem = keystore.authorities.filter { $0.state != .retired }.map(\.certificatePEM).joined()
        try AtomicFile.write(pem, to: authorityPath, permissions: 0o644)
    }

    /// Reads the file again (another node changed it); keeps the old keys if the new file cannot be opened.
    @discardableResult
    public func reload() async throws -> EncryptionKeystore {
        let path = self.path, keys = masterKeys
        let fresh = try await BlockingIO.run { try Self.read(path: path, masterKeys: keys) }
        loaded.withLock { $0 = fresh }
        return fresh
    }

    /// Replaces the keystore (a rotation or reseal made here): written first, then used.
    public func replace(with keystore: EncryptionKeystore, sealedWith masterKey: MasterKey) async throws {
        let path = self.path, authorityPath = self.authorityPath
        try await BlockingIO.run { try Self.write(keystore, sealedWith: masterKey, path: path, authorityPath: authorityPath) }
        loaded.withLock { $0 = keystore }
    }

    /// The data key of `version`, reading the keystore again once if this node does not know it yet.
    public func dataKey(version: Int) async throws -> SymmetricKey {
        if let key = keystore.dataKey(version: version) { return key }
        if let key = try await reload().dataKey(version: version) { return key }
        throw KeyError(.unknownKeyVersion, path: path,
            "data key version \(version) is not in \(path); it was retired while still in use, or the keystore was replaced: restore it from backup")
    }

    /// The master key this node seals with: the next one while a change is under way (once resealed), else the current.
    public var sealingKey: MasterKey { masterKeys.count > 1 ? masterKeys[1] : masterKeys[0] }
}
