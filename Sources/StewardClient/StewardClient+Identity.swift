import Foundation
import NIOHTTP1
import StewardModel

extension StewardClient {
    /// Logs in and returns a new API token (shown once): what `stewardctl login` stores.
    /// `device` is the device token an earlier login of this account returned (see `LoginResponse.device`).
    public func loginForToken(username: String, password: String, tokenName: String, expiresInDays: Int? = nil,
                              device: String? = nil) async throws -> LoginResponse {
        let request = LoginRequest(username: username, password: password, token: .init(name: tokenName, expiresInDays: expiresInDays),
                                   device: device)
        return try await send(.POST, "/api/v1/auth/login", body: request, as: LoginResponse.self)
    }

    /// Logs in as a browser does and returns the session cookie and its CSRF token.
    public func loginForSession(username: String, password: String) async throws -> Session {
        let response = try await sendExpectingSuccess(.POST, "/api/v1/auth/login", body: LoginRequest(username: username, password: password))
        let body = try response.decode(LoginResponse.self)
        guard let csrf = body.csrfToken, let cookie = Self.sessionCookieValue(response.headers) else {
            throw ClientError(status: response.status, message: "the login answer carried no session cookie")
        }
        return Session(cookie: cookie, csrfToken: csrf)
    }

    /// The value of the session cookie in a Set-Cookie header, if one is set.
    public static func sessionCookieValue(_ headers: [(String, String)]) -> String? {
        for (name, value) in headers where name.lowercased() == "set-cookie" && value.hasPrefix(sessionCookie + "=") {
            let cookie = value.dropFirst(sessionCookie.count + 1).prefix { $0 != ";" }
            return cookie.isEmpty ? nil : String(cookie)
        }
        return nil
    }

    public func logout() async throws { try await sendExpectingSuccess(.POST, "/api/v1/auth/logout") }

    public func whoAmI() async throws -> WhoAmI { try await get("/api/v1/auth/me", as: WhoAmI.self) }

    public func changePassword(current: String, new: String, device: String? = nil) async throws {
        try await sendExpectingSuccess(.POST, "/api/v1/auth/password",
                                       body: PasswordChangeRequest(currentPassword: current, newPassword: new, device: device))
    }

    public func users() async throws -> [UserInfo] { try await get("/api/v1/users", as: [UserInfo].self) }

    public func createUser(_ username: String, password: String, role: Role) async throws -> UserInfo {
        try await send(.POST, "/api/v1/users", body: NewUserRequest(username: username, password: password, role: role), as: UserInfo.self)
    }

    public func changeUser(_ username: String, role: Role? = nil, disabled: Bool? = nil) async throws -> UserInfo {
        try await send(.PATCH, "/api/v1/users/\(Self.escape(username))", body: UserChangeRequest(role: role, disabled: disabled), as: UserInfo.self)
    }

    public func resetPassword(_ username: String, to password: String) async throws {
        try await sendExpectingSuccess(.POST, "/api/v1/users/\(Self.escape(username))/password",
                                       body: PasswordChangeRequest(currentPassword: nil, newPassword: password))
    }

    public func tokens(everyone: Bool = false) async throws -> [TokenInfo] {
        try await get("/api/v1/tokens" + (everyone ? "?all=true" : ""), as: [TokenInfo].self)
    }

    public func createToken(name: String, expiresInDays: Int? = nil) async throws -> CreatedToken {
        try await send(.POST, "/api/v1/tokens", body: NewTokenRequest(name: name, expiresInDays: expiresInDays), as: CreatedToken.self)
    }

    public func revokeToken(_ id: TokenID) async throws { try await sendExpectingSuccess(.DELETE, "/api/v1/tokens/\(id)") }

    public func audit(limit: Int = 100, before: Int64? = nil, action: String? = nil) async throws -> [AuditEntry] {
        var query = ["limit=\(limit)"]
        if let before { query.append("before=\(before)") }
        if let action { query.append("action=\(Self.escape(action))") }
        return try await get("/api/v1/audit?" + query.joined(separator: "&"), as: [AuditEntry].self)
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?&=#"))) ?? text
    }
}

extension StewardClient {
    public func clusterSummary() async throws -> ClusterSummary { try await get("/api/v1/cluster/summary", as: ClusterSummary.self) }

    public func nodes() async throws -> [NodeStatus] { try await get("/api/v1/cluster/nodes", as: [NodeStatus].self) }

    public func node(_ node: String) async throws -> NodeStatus { try await get("/api/v1/cluster/nodes/\(Self.escape(node))", as: NodeStatus.self) }

    public func drain(_ node: String) async throws -> NodeStatus {
        try await send(.POST, "/api/v1/cluster/nodes/\(Self.escape(node))/drain", as: NodeStatus.self)
    }

    public func decommission(_ node: String) async throws -> NodeStatus {
        try await send(.DELETE, "/api/v1/cluster/nodes/\(Self.escape(node))", as: NodeStatus.self)
    }
}
