import Crypto
import Foundation

/// A license file: the license's JSON, base64url-encoded so that the signed bytes are exactly the
/// bytes that were signed (no canonical JSON needed), the issuer's key id, and an Ed25519
/// signature over `format + "." + license`.
///
///     {"format": "steward-license/1", "issuer": "3f2a…", "license": "eyJpZCI6…", "signature": "…"}
public struct SignedLicense: Codable, Sendable, Equatable {
    public static let format = "steward-license/1"

    public var format: String
    public var issuer: String
    public var license: String
    public var signature: String

    /// Signs `license` with the issuer's private key.
    public static func issue(_ license: License, with key: LicenseSigningKey) throws -> SignedLicense {
        if let problem = license.problem { throw LicenseRefusal(.invalidLicense, "the license is not valid: \(problem)") }
        let payload = Base64URL.encode(try LicenseJSON.encoder.encode(license))
        let signature = try key.key.signature(for: Data(Self.signedText(payload).utf8))
        return SignedLicense(format: Self.format, issuer: key.publicKey.id, license: payload, signature: Base64URL.encode(signature))
    }

    static func signedText(_ payload: String) -> String { format + "." + payload }

    /// The file's text: what `stewardctl license issue` writes and `license add` reads.
    public func text() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}

/// The one JSON shape of a license: ISO 8601 dates, sorted keys.
enum LicenseJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Base64url without padding (RFC 4648 §5), as license files carry their payload and signature.
public enum Base64URL {
    public static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
