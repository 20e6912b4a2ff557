import Foundation

/// `conf/encryption.keystore` as it is stored: JSON, documented in docs/keys.md. Every secret in it
/// (data keys, the CA's private key) is sealed with AES-256-GCM under a key derived from the master
/// key; the whole file is authenticated by an HMAC under another derived key, so that a changed
/// byte anywhere (a state, a version, a certificate) is caught, not only in the sealed parts.
struct KeystoreFile: Codable, Equatable {
    static let formatName = "steward-encryption-keystore"
    static let currentVersion = 1

    struct DataKey: Codable, Equatable {
        var version: Int
        var created: Date
        /// `active` (encrypts new values) or `previous` (decrypts values not yet re-encrypted).
        var state: String
        /// AES-GCM sealed (combined: nonce, ciphertext, tag), associated data "steward data key v1|<version>".
        var sealed: Data
    }

    struct Authority: Codable, Equatable {
        var serial: String
        var created: Date
        /// `active` (signs), `trusted` (still accepted while agents move), later `retired`.
        var state: String
        var certificatePEM: String
        /// The private key's raw representation, sealed; associated data "steward cluster ca v1|<serial>".
        var sealedKey: Data
    }

    var format: String
    var formatVersion: Int
    /// Names this keystore; the database records it, so that a keystore from elsewhere is refused.
    var keystoreID: UUID
    var salt: Data
    var masterKeyFingerprint: String
    var dataKeys: [DataKey]
    var authorities: [Authority]
    /// HMAC-SHA256 of the canonical encoding of everything above.
    var mac: Data?

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.dataEncodingStrategy = .base64
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.dataDecodingStrategy = .base64
        return decoder
    }

    /// The bytes the MAC covers: this file without its MAC, encoded canonically (sorted keys).
    func authenticatedBytes() throws -> Data {
        var unsigned = self
        unsigned.mac = nil
        return try Self.encoder.encode(unsigned)
    }
}
