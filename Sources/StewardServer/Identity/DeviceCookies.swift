import Crypto
import Foundation

/// Device cookies, as OWASP's guidance on slowing online guessing describes them: after a
/// successful login the client gets a token, signed by the cluster, that names the account and a
/// random device id. A later attempt that presents it is that device's: it is throttled on its own
/// failures only, so an attacker's flood from elsewhere never locks the owner out of a device they
/// have used before. Browsers keep it as a cookie; `stewardctl` keeps it in its config file.
struct DeviceCookies: Sendable {
    static let cookieName = "__Host-steward_device"
    /// A year: a device that has not logged in for that long is a new device again.
    static let lifetime = 365 * 86400

    let key: SymmetricKey

    init(key: [UInt8]) { self.key = SymmetricKey(data: key) }

    /// A new token for `username`: `<device id>.<signature>`.
    func issue(for username: String, device: String = SecretTokens.random()) -> String {
        device + "." + signature(username, device)
    }

    /// The device id of a valid token for `username`; nil for a forged, altered or foreign one.
    func verify(_ token: String, for username: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, (16...64).contains(parts[0].count) else { return nil }
        let device = String(parts[0])
        return SecretTokens.constantTimeEquals(signature(username, device), String(parts[1])) ? device : nil
    }

    func signature(_ username: String, _ device: String) -> String {
        let message = Data("steward device v1|\(username.lowercased())|\(device)".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
