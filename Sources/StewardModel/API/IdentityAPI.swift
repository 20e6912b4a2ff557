import Foundation

/// A user account as the API shows it (never with its password hash).
public struct UserInfo: Codable, Sendable, Hashable {
    public let username: String
    public let role: Role
    public let disabled: Bool
    public let createdAt: Date

    public init(username: String, role: Role, disabled: Bool, createdAt: Date) {
        self.username = username
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// `POST /api/v1/auth/login`. With `token`, the answer carries a new API token instead of
/// setting a session cookie (what `stewardctl login` uses).
public struct LoginRequest: Codable, Sendable {
    public struct TokenRequest: Codable, Sendable {
        public let name: String
        public let expiresInDays: Int?
        public init(name: String, expiresInDays: Int?) {
            self.name = name
            self.expiresInDays = expiresInDays
        }
    }

    public let username: String
    public let password: String
    public let token: TokenRequest?
    /// The device token a previous login of this account gave this client (browsers send it as a
    /// cookie instead): the attempt is then throttled on this device's own failures only.
    public let device: String?

    public init(username: String, password: String, token: TokenRequest? = nil, device: String? = nil) {
        self.username = username
        self.password = password
        self.token = token
        self.device = device
    }
}

public struct LoginResponse: Codable, Sendable {
    public let user: UserInfo
    /// For cookie sessions: send it back as `X-CSRF-Token` on every state-changing request.
    public let csrfToken: String?
    public let sessionExpiresAt: Date?
    /// For token logins: the new token, shown this once.
    public let token: CreatedToken?
    /// This client's device token for the account: keep it and send it with the next login.
    public let device: String?

    public init(user: UserInfo, csrfToken: String?, sessionExpiresAt: Date?, token: CreatedToken?, device: String? = nil) {
        self.user = user
        self.csrfToken = csrfToken
        self.sessionExpiresAt = sessionExpiresAt
        self.token = token
        self.device = device
    }
}

/// `GET /api/v1/auth/me`.
public struct WhoAmI: Codable, Sendable, Hashable {
    public let user: UserInfo
    /// "session" or "token".
    public let authenticatedBy: String
    public let csrfToken: String?

    public init(user: UserInfo, authenticatedBy: String, csrfToken: String?) {
        self.user = user
        self.authenticatedBy = authenticatedBy
        self.csrfToken = csrfToken
    }
}

public struct NewUserRequest: Codable, Sendable {
    public let username: String
    public let password: String
    public let role: Role
    public init(username: String, password: String, role: Role) {
        self.username = username
        self.password = password
        self.role = role
    }
}

public struct UserChangeRequest: Codable, Sendable {
    public let role: Role?
    public let disabled: Bool?
    public init(role: Role? = nil, disabled: Bool? = nil) {
        self.role = role
        self.disabled = disabled
    }
}

public struct PasswordChangeRequest: Codable, Sendable {
    /// Required when changing one's own password; not when an admin resets another's.
    public let currentPassword: String?
    public let newPassword: String
    /// With `currentPassword`: this client's device token, as at login.
    public let device: String?
    public init(currentPassword: String?, newPassword: String, device: String? = nil) {
        self.currentPassword = currentPassword
        self.newPassword = newPassword
        self.device = device
    }
}

public struct NewTokenRequest: Codable, Sendable {
    public let name: String
    public let expiresInDays: Int?
    public init(name: String, expiresInDays: Int?) {
        self.name = name
        self.expiresInDays = expiresInDays
    }
}

/// An API token as lists show it: never the secret, only its first characters.
public struct TokenInfo: Codable, Sendable, Equatable {
    public let id: TokenID
    public let name: String
    public let owner: String
    public let prefix: String
    public let createdAt: Date
    public let expiresAt: Date?
    public let lastUsedAt: Date?
    public let revokedAt: Date?

    public init(id: TokenID, name: String, owner: String, prefix: String, createdAt: Date, expiresAt: Date?, lastUsedAt: Date?, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.owner = owner
        self.prefix = prefix
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// A token just created: the only time its secret is ever shown.
public struct CreatedToken: Codable, Sendable {
    public let info: TokenInfo
    public let secret: String
    public init(info: TokenInfo, secret: String) {
        self.info = info
        self.secret = secret
    }
}

/// One row of the audit log.
public struct AuditEntry: Codable, Sendable, Equatable {
    public let id: Int64
    public let at: Date
    public let actor: String
    public let action: String
    public let target: String?
    public let node: String
    public let sourceAddress: String?
    public let details: [String: String]

    public init(id: Int64, at: Date, actor: String, action: String, target: String?, node: String, sourceAddress: String?, details: [String: String]) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.node = node
        self.sourceAddress = sourceAddress
        self.details = details
    }
}
