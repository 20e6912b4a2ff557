import Crypto
import Foundation
import X509

/// The unsealed keystore: the data keys by version and the cluster's certificate authorities, as
/// a node holds them in memory after opening `conf/encryption.keystore` with its master key.
public struct EncryptionKeystore: Sendable {
    public struct DataKey: Sendable {
        public let version: Int
        public let created: Date
        public let isActive: Bool
        let key: SymmetricKey
    }

    public let keystoreID: UUID
    public let dataKeys: [DataKey]
    public let authorities: [ClusterAuthority]
    let salt: Data
    /// The fingerprint of the master key that sealed the file this came from (nil for one not yet written).
    public var sealedWith: String?

    /// The version new values are encrypted with.
    public var activeVersion: Int { dataKeys.first { $0.isActive }?.version ?? 0 }

    public func dataKey(version: Int) -> SymmetricKey? { dataKeys.first { $0.version == version }?.key }

    /// The authority that signs new agent certificates.
    public var activeAuthority: ClusterAuthority? { authorities.first { $0.state == .active } }

    /// A new keystore: a random salt, data key version 1, and a new cluster CA.
    public static func create(clusterName: String) throws -> EncryptionKeystore {
        var generator = SystemRandomNumberGenerator()
        let salt = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return EncryptionKeystore(
            keystoreID: UUID(),
            dataKeys: [DataKey(version: 1, created: Date(), isActive: true, key: SymmetricKey(size: .bits256))],
            authorities: [try ClusterAuthority.create(clusterName: clusterName)],
            salt: salt, sealedWith: nil)
    }

    /// This keystore with a new active data key; the former active one stays, to decrypt what it encrypted.
    public func addingDataKey() -> EncryptionKeystore {
        let next = (dataKeys.map(\.version).max() ?? 0) + 1
        let kept = dataKeys.map { DataKey(version: $0.version, created: $0.created, isActive: false, key: $0.key) }
        return EncryptionKeystore(keystoreID: keystoreID, dataKeys: kept + [DataKey(version: next, created: Date(), isActive: true, key: SymmetricKey(size: .bits256))],
                                  authorities: authorities, salt: salt, sealedWith: sealedWith)
    }

    /// This keystore without the data keys no value uses any more (never the active one).
    public func retiring(unusedVersions: Set<Int>) -> EncryptionKeystore {
        EncryptionKeystore(keystoreID: keystoreID, dataKeys: dataKeys.filter { $0.isActive || !unusedVersions.contains($0.version) },
                           authorities: authorities, salt: salt, sealedWith: sealedWith)
    }
}

extension EncryptionKeystore {
    static func dataKeyContext(_ version: Int) -> Data { Data("steward data key v1|\(version)".utf8) }
    static func authorityContext(_ serial: String) -> Data { Data("steward cluster ca v1|\(serial)".utf8) }

    /// The file's bytes, sealed with `masterKey`.
    public func sealed(with masterKey: MasterKey) throws -> Data {
        let sealing = masterKey.sealingKey(salt: salt)
        var file = KeystoreFile(
            format: KeystoreFile.formatName, formatVersion: KeystoreFile.currentVersion, keystoreID: keystoreID, salt: salt,
            masterKeyFingerprint: masterKey.fingerprint,
            dataKeys: try dataKeys.map { key in
                let bytes = key.key.withUnsafeBytes { Data($0) }
                let box = try AES.GCM.seal(bytes, using: sealing, authenticating: Self.dataKeyContext(key.version))
                return .init(version: key.version, created: key.created, state: key.isActive ? "active" : "previous", sealed: box.combined ?? Data())
            },
            authorities: try authorities.map { authority in
                let box = try AES.GCM.seal(authority.privateKey.rawRepresentation, using: sealing,
                                           authenticating: Self.authorityContext(authority.serial))
                return .init(serial: authority.serial, created: authority.created, state: authority.state.rawValue,
                             certificatePEM: authority.certificatePEM, sealedKey: box.combined ?? Data())
            },
            mac: nil)
        let mac = HMAC<SHA256>.authenticationCode(for: try file.authenticatedBytes(), using: masterKey.authenticationKey(salt: salt))
        file.mac = Data(mac)
        return try KeystoreFile.encoder.encode(file)
    }

    /// Opens a keystore's bytes with whichever of `masterKeys` sealed it. Each check that can fail
    /// says which it was: not a keystore, sealed with another master key, or altered.
    public static func open(_ bytes: Data, path: String, masterKeys: [MasterKey]) throws(KeyError) -> EncryptionKeystore {
        let file: KeystoreFile
        do {
            file = try KeystoreFile.decoder.decode(KeystoreFile.self, from: bytes)
        } catch {
            throw KeyError(.notAKeystore, path: path,
                "\(path) is not a readable encryption keystore (it is damaged, or not one at all); restore it from the backup of the shared appdata")
        }
        guard file.format == KeystoreFile.formatName, file.formatVersion == KeystoreFile.currentVersion else {
            throw KeyError(.unsupportedFormat, path: path,
                "\(path) is keystore format \(file.format) \(file.formatVersion); this Steward reads \(KeystoreFile.formatName) \(KeystoreFile.currentVersion)")
        }
        guard let masterKey = masterKeys.first(where: { $0.fingerprint == file.masterKeyFingerprint }) else {
            let held = masterKeys.map { "\($0.path) (\($0.fingerprint))" }.joined(separator: ", ")
            throw KeyError(.wrongMasterKey, path: path,
                "\(path) is sealed with the master key \(file.masterKeyFingerprint), not this node's \(held); give this node the cluster's master key file (server.master.key.file)")
        }
        let tampered = KeyError(.tampered, path: path,
            "\(path) fails its integrity check although this node's master key is the one that sealed it: the file has been altered or damaged; restore it from the backup of the shared appdata")
        guard let mac = file.mac,
              let expected = try? file.authenticatedBytes(),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: expected, using: masterKey.authenticationKey(salt: file.salt))
        else { throw tampered }
        let sealing = masterKey.sealingKey(salt: file.salt)
        do {
            let keys = try file.dataKeys.map { entry in
                let bytes = try AES.GCM.open(AES.GCM.SealedBox(combined: entry.sealed), using: sealing, authenticating: dataKeyContext(entry.version))
                return DataKey(version: entry.version, created: entry.created, isActive: entry.state == "active", key: SymmetricKey(data: bytes))
            }
            let authorities = try file.authorities.map { entry in
                let raw = try AES.GCM.open(AES.GCM.SealedBox(combined: entry.sealedKey), using: sealing, authenticating: authorityContext(entry.serial))
                return try ClusterAuthority(serial: entry.serial, created: entry.created, state: ClusterAuthority.State(rawValue: entry.state) ?? .retired,
                                            certificatePEM: entry.certificatePEM, privateKey: P256.Signing.PrivateKey(rawRepresentation: raw))
            }
            guard keys.filter(\.isActive).count == 1 else { throw tampered }
            return EncryptionKeystore(keystoreID: file.keystoreID, dataKeys: keys, authorities: authorities, salt: file.salt,
                                      sealedWith: masterKey.fingerprint)
        } catch let error as KeyError {
            throw error
        } catch {
            throw tampered
        }
    }
}
