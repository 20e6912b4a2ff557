import Crypto
import Foundation

/// Secret values, encrypted with AES-256-GCM under a data key. The secret's name and the data
/// key's version are the associated data: a ciphertext copied into another secret's row (or
/// relabelled with another version) fails authentication instead of decrypting.
public enum DataEncryption {
    static func context(name: String, keyVersion: Int) -> Data { Data("steward secret v1|\(name)|\(keyVersion)".utf8) }

    public static func seal(_ value: Data, name: String, keyVersion: Int, key: SymmetricKey) throws -> Data {
        let box = try AES.GCM.seal(value, using: key, authenticating: context(name: name, keyVersion: keyVersion))
        guard let combined = box.combined else { throw KeyError(.secretTampered, "AES-GCM produced no ciphertext") }
        return combined
    }

    /// The value, or `KeyError.secretTampered` when the ciphertext is not this secret's under this key.
    public static func open(_ ciphertext: Data, name: String, keyVersion: Int, key: SymmetricKey) throws(KeyError) -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: ciphertext), using: key, authenticating: context(name: name, keyVersion: keyVersion))
        } catch {
            throw KeyError(.secretTampered,
                "the stored ciphertext of secret '\(name)' fails authentication: it was altered, or copied from another secret (tampering?); set the secret again")
        }
    }
}
