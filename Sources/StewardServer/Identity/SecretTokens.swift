import Crypto
import Foundation

/// Random secrets (session ids, API tokens, CSRF tokens) and their stored form.
enum SecretTokens {
    /// 256 random bits, base64url without padding.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// API tokens carry a recognisable prefix, so that secret scanners and people can spot them.
    static let apiTokenPrefix = "stw_"

    static func newAPIToken() -> String { apiTokenPrefix + random() }

    /// What lists show of a token: enough to tell tokens apart, far too little to use one.
    static func displayPrefix(_ token: String) -> String { String(token.prefix(apiTokenPrefix.count + 6)) }

    /// Tokens and session ids are full-entropy, so SHA-256 (not a slow hash) is the right way to store them.
    static func hash(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Data(secret.utf8))) }

    /// Comparison whose time does not depend on where the strings differ.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
