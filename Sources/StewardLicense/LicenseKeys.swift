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
        guard let line = KeyLine(text, tag: Self.tag), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: line.raw) else {
            throw LicenseRefusal(.badIssuerKey, "\(source) is not a license issuer key (expected one line: \(Self.tag) ed25519 BASE64 [comment])")
        }
        self.init(key, comment: line.comment)
    }

    public var text: String { KeyLine.text(tag: Self.tag, raw: key.rawRepresentation, comment: comment) }

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
        guard let line = KeyLine(text, tag: Self.tag), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: line.raw) else {
            throw LicenseRefusal(.badIssuerKey, "\(source) is not a license signing key (make one with `stewardctl license keygen`)")
        }
        self.init(key, comment: line.comment)
    }

    public var text: String { KeyLine.text(tag: Self.tag, raw: key.rawRepresentation, comment: comment) }
}

/// The one-line key file format both halves share: `TAG ed25519 BASE64 [comment]`.
struct KeyLine {
    let raw: Data
    let comment: String

    init?(_ text: String, tag: String) {
        let fields = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard fields.count >= 3, fields[0] == tag, fields[1] == "ed25519", let raw = Data(base64Encoded: String(fields[2])) else { return nil }
        self.raw = raw
        comment = fields.count > 3 ? String(fields[3]) : ""
    }

    static func text(tag: String, raw: Data, comment: String) -> String {
        "\(tag) ed25519 \(raw.base64EncodedString())\(comment.isEmpty ? "" : " " + comment)\n"
    }
}
