import Synchronization
import StewardConfiguration
import PostgresNIO
import Foundation
import Hummingbird
import StewardDatabase
import StewardModel

/// `/api/v1/auth`: log in (cookie session or API token), log out, who am I, change my password.
struct AuthRoutes {
    let runtime: NodeRuntime
    let hasher: PasswordHasher

    var security: ClusterSettings { runtime.cluster }

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.post("auth/login") { request, context in try await login(request, context) }
        api.post("auth/logout") { request, context in try await logout(request, context) }
        api.get("auth/me") { _, context -> WhoAmI in
            let identity = try context.requireIdentity()
            return WhoAmI(user: identity.user.info, authenticatedBy: identity.authenticatedBy, csrfToken: identity.csrfToken)
        }
        api.post("auth/password") { request, context in try await changeOwnPassword(request, context) }
    }

    func login(_ request: Request, _ context: StewardRequestContext) async throws -> Response {
        // JSON only: a cross-site form cannot send it without a CORS preflight (login CSRF).
        guard request.headers[.contentType]?.hasPrefix("application/json") == true else {
            throw APIError(status: .unsupportedMediaType, message: "send the credentials as application/json")
        }
        let body = try await request.decode(as: LoginRequest.self, context: context)
        guard (1...128).contains(body.username.count), (1...1024).contains(body.password.count) else {
            throw APIError.badRequest("username (1-128 characters) and password (1-1024) are required")
        }
        if let token = body.token { try TokenRoutes.validate(name: token.name, expiresInDays: token.expiresInDays) }
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let issued = Issued()
        let outcome = try await LoginService(runtime: runtime, hasher: hasher).login(
            username: body.username, password: body.password, source: source
        ) { user, connection in
            if let token = body.token {
                let created = try await TokenRoutes.create(runtime: runtime, owner: user, name: token.name,
                                                           expiresInDays: token.expiresInDays, source: source, on: connection)
                issued.set(.token(created))
            } else {
                issued.set(try await createSession(for: user, source: source, on: connection))
            }
        }
        switch outcome {
        case .invalid:
            throw APIError(status: .unauthorized, message: "invalid username or password")
        case .throttled(let seconds):
            throw APIError(status: .tooManyRequests, message: "too many failed logins; try again later",
                           headers: [.retryAfter: String(seconds)])
        case .success(let user):
            switch issued.value {
            case .token(let created)?:
                return try Self.json(LoginResponse(user: user.info, csrfToken: nil, sessionExpiresAt: nil, token: created))
            case .session(let id, let csrf, let expires)?:
                var response = try Self.json(LoginResponse(user: user.info, csrfToken: csrf, sessionExpiresAt: expires, token: nil))
                response.setCookie(sessionCookie(id, maxAge: Int(security.sessionAbsoluteTimeout.components.seconds)))
                return response
            case nil:
                throw APIError(status: .internalServerError, message: "login succeeded but issued nothing")
            }
        }
    }

    func createSession(for user: UserRecord, source: String, on connection: PostgresNIO.PostgresConnection) async throws -> Issued.Value {
        let id = SecretTokens.random()
        let csrf = SecretTokens.random()
        let created = try await SessionRepository(logger: runtime.logger).create(
            hash: SecretTokens.hash(id), userID: user.userID, csrfToken: csrf, idle: security.sessionIdleTimeout,
            absolute: security.sessionAbsoluteTimeout, node: runtime.nodeName, sourceAddress: source, on: connection)
        return .session(id: id, csrf: csrf, expires: created.absoluteExpiresAt)
    }

    /// `__Host-` cookies are Secure, host-only and Path=/ by rule: browsers refuse them otherwise.
    func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: AuthenticationMiddleware.sessionCookie, value: value, maxAge: maxAge, path: "/",
               secure: true, httpOnly: true, sameSite: .lax)
    }

    func logout(_ request: Request, _ context: StewardRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime
        try await runtime.transaction { connection in
            switch identity.credential {
            case .session(let hash, _):
                try await SessionRepository(logger: runtime.logger).delete(hash: hash, on: connection)
            case .token(let id):
                _ = try await TokenRepository(logger: runtime.logger).revoke(id, on: connection)
            }
            try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "logout", source: source,
                                                          details: ["credential": identity.authenticatedBy], on: connection)
        }
        var response = Response(status: .noContent)
        response.setCookie(sessionCookie("", maxAge: 0))
        return response
    }

    func changeOwnPassword(_ request: Request, _ context: StewardRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: PasswordChangeRequest.self, context: context)
        guard let current = body.currentPassword, try await hasher.verify(current, against: identity.user.passwordHash) else {
            throw APIError.forbidden("the current password is wrong")
        }
        try UserRoutes.checkPassword(body.newPassword, minimum: security.passwordMinimumLength)
        let hash = try await hasher.hash(body.newPassword)
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime
        try await runtime.transaction { connection in
            try await UserRepository(logger: runtime.logger).setPassword(identity.user.userID, passwordHash: hash, on: connection)
            try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "user.password", target: identity.username,
                                                          source: source, on: connection)
        }
        return Response(status: .noContent)
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// What a successful login handed out, set from inside the login transaction.
final class Issued: Sendable {
    enum Value: Sendable {
        case session(id: String, csrf: String, expires: Date)
        case token(CreatedToken)
    }

    private let box = Mutex<Value?>(nil)
    var value: Value? { box.withLock { $0 } }
    func set(_ value: Value) { box.withLock { $0 = value } }
}
