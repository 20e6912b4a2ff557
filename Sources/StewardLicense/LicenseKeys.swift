import Crypto
import Foundation

/// An issuer's public key, as nodes trust it from `appdata/conf/license-issuers/*.pub`:
/// one line, `steward-license-issuer ed25519 BASE64 [comment]`.
public struct LicenseIssuerKey: Sendable, Equatable {
    static let tag = "steward-license-issuer"

    public let key: Curve25519.Signing.PublicKey
    public let comment: String

    public init(_ key: Curve25519.Signing.PublicKey, comment: String) {
        self.key = key
        self.comment = comment
    }

    /// The first 16 bytes of the key's SHA-256, in hex: what a license names its issuer by.
    public var id: String { SHA256.hash(data: key.rawRepresentation).prefix(16).map { String(format: "%02x", $0) }.joined() }

    public init(text: String, source: String) throws(LicenseRefusal) {
        let fields = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard fields.count >= 3, fields[0] == Self.tag, fields[1] == "ed25519", let raw = Data(base64Encoded: String(fields[2])),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw LicenseRefusal(.badIssuerKey, "\(source) is not a license issuer key (expected one line: \(Self.tag) ed25519 BASE64 [comment])")
        }
        self.init(key, comment: fields.count > 3 ? String(fields[3]) : "")
    }

    public var text: String {
        "\(Self.tag) ed25519 \(key.rawRepresentation.base64EncodedString())\(comment.isEmpty ? "" : " " + comment)\n"
    }

    public static func == (a: LicenseIssuerKey, b: LicenseIssuerKey) -> Bool { a.key.rawRepresentation == b.key.rawRepresentation }
}

/// An issuer's private key: kept by whoever issues licenses (the vendor; a test), never by a node.
/// One line, `steward-license-signing-key ed25519 BASE64 [comment]`, in a file of mode 0600.
public struct LicenseSigningKey: Sendable {
    static let tag = "steward-license-signing-key"

    public let key: Curve25519.Signing.PrivateKey
    public let comment: String

    public init(comment: String = "") {
        self.init(Curve25519.Signing.PrivateKey(), comment: comment)
    }

    public init(_ key: Curve25519.Signing.PrivateKey, comment: String) {
        self.key = key
        self.comment = comment
    }

    public var publicKey: LicenseIssuerKey { LicenseIssuerKey(key.publicKey, comment: comment) }

    public init(text: String, source: String) throws(LicenseRefusal) {
        let fields = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard fields.count >= 3, fields[0] == Self.tag, fields[1] == "ed25519", let raw = Data(base64Encoded: String(fields[2])),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw LicenseRefusal(.badIssuerKey, "\(source) is not a license signing key (make one with `stewardctl license keygen`)")
        }
        self.init(key, comment: fields.count > 3 ? String(fields[3]) : "")
    }

    public var text: String {
        "\(Self.tag) ed25519 \(key.rawRepresentation.base64EncodedString())\(comment.isEmpty ? "" : " " + comment)\n"
    }
}
