/// Why a keystore cannot give the node its TLS identity.
public struct KeystoreError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case unreadable, malformed, wrongPassword, noSuchAlias, ambiguousAlias
        case noCertificate, keyMismatch, expired, notYetValid, internalError
    }

    public let code: Code
    public let path: String
    public let message: String

    /// The installed.properties key an operator should look at for this problem.
    public var configurationKey: String {
        switch code {
        case .wrongPassword: return "server.keystore.password"
        case .noSuchAlias, .ambiguousAlias, .noCertificate, .keyMismatch, .expired, .notYetValid: return "server.key.alias"
        case .unreadable, .malformed, .internalError: return "server.keystore"
        }
    }

    public var description: String { "keystore \(path): \(message)" }
}
