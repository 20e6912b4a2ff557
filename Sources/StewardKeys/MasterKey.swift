import Crypto
import Foundation

/// The node-local secret that unlocks `conf/encryption.keystore`: every node holds the same one,
/// in the file `server.master.key.file` names, and nothing else in the cluster stores it. From it
/// come, by HKDF with versioned contexts, the key that seals the keystore's contents, the key that
/// authenticates the keystore as a whole, and the fingerprint the cluster records (never the key).
public struct MasterKey: Sendable {
    /// Fewer bytes than this are no key at all.
    public static let minimumLength = 32

    let material: SymmetricKey
    public let path: String

    public init(material: Data, path: String) throws(KeyError) {
        guard material.count >= Self.minimumLength else {
            throw KeyError(.masterKeyTooShort, path: path,
                "\(path) holds \(material.count) bytes; a master key needs at least \(Self.minimumLength) (make one with `stewardctl keys new-master-key FILE`)")
        }
        self.material = SymmetricKey(data: material)
        self.path = path
    }

    /// Reads the file: all of its bytes are the key (copy the file itself to other nodes).
    public static func load(path: String) throws(KeyError) -> MasterKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeyError(.masterKeyUnreadable, path: path, "the master key file \(path) does not exist or cannot be read")
        }
        return try MasterKey(material: data, path: path)
    }

    /// 32 random bytes, base64: what `stewardctl keys new-master-key` writes.
    public static func generateText() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
    }

    /// What the cluster records to check that every node holds the same key (an HMAC, so the
    /// record says nothing about the key). The same value as before the keystore existed.
    public var fingerprint: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("steward master key fingerprint v1".utf8), using: material)
        return "hmac-sha256:" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// The key that seals data keys and CA keys in a keystore with this salt.
    func sealingKey(salt: Data) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: material, salt: salt, info: Data("steward keystore sealing key v1".utf8), outputByteCount: 32)
    }

    /// The key of the MAC over the whole keystore file.
    func authenticationKey(salt: Data) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: material, salt: salt, info: Data("steward keystore mac v1".utf8), outputByteCount: 32)
    }
}
