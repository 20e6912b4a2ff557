import StewardDatabase
import StewardModel

/// An authenticated caller: the user, and the credential that proved it.
public struct Identity: Sendable {
    public enum Credential: Sendable {
        /// A browser session; state changes must carry its CSRF token.
        case session(hash: [UInt8], csrfToken: String)
        case token(TokenID)
    }

    public let user: UserRecord
    public let credential: Credential

    public var role: Role { user.role }
    public var username: String { user.username }

    public var csrfToken: String? {
        if case .session(_, let csrf) = credential { return csrf }
        return nil
    }

    var authenticatedBy: String {
        if case .session = credential { return "session" }
        return "token"
    }
}

extension StewardRequestContext {
    /// The caller; routes behind `AuthenticationMiddleware` always have one.
    func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthenticated }
        return identity
    }
}
