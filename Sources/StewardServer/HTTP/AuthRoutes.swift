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
        api.get("auth/me") { _, context -> Response in
            let identity = try context.requireIdentity()
            let answer = WhoAmI(user: identity.user.info, authenticatedBy: identity.authenticatedBy, csrfToken: identity.csrfToken)
            let body = try runtime.whoAmIBodies.body(for: answer) { ByteBuffer(bytes: try Self.encoder.encode($0)) }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
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
        if let token = body.token {
            try TokenRoutes.validate(name: token.name, expiresInDays: token.expiresInDays, maxDays: TokenRoutes.maxDays(runtime))
        }
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let issued = Issued()
        let device = body.device ?? request.cookies[DeviceCookies.cookieName]?.value
        let outcome = try await LoginService(runtime: runtime, hasher: hasher, devices: runtime.devices).login(
            username: body.username, password: body.password, source: source, device: device
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
            throw Self.throttled(seconds)
        case .success(let user, let device):
            switch issued.value {
            case .token(let created)?:
                return try Self.json(LoginResponse(user: user.info, csrfToken: nil, sessionExpiresAt: nil, token: created, device: device))
            case .session(let id, let csrf, let expires)?:
                var response = try Self.json(LoginResponse(user: user.info, csrfToken: csrf, sessionExpiresAt: expires, token: nil))
                response.setCookie(sessionCookie(id, maxAge: Int(security.sessionAbsoluteTimeout.components.seconds)))
                // HttpOnly, so scripts never see it; browsers send it with the next login.
                response.setCookie(Cookie(name: DeviceCookies.cookieName, value: device, maxAge: DeviceCookies.lifetime, path: "/",
                                          secure: true, httpOnly: true, sameSite: .strict))
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
        let revocation = try await runtime.revokingEverywhere { try await runtime.transaction { connection -> AuthRevocation? in
            var revocation: AuthRevocation?
            switch identity.credential {
            case .session(let hash, _):
                try await SessionRepository(logger: runtime.logger).delete(hash: hash, on: connection)
                revocation = .session(hash: hash)
            case .token(let id):
                revocation = try await TokenRepository(logger: runtime.logger).revoke(id, on: connection).map { .token(hash: $0) }
            }
            try await revocation?.notify(on: connection, logger: runtime.logger)
            try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "logout", source: source,
                                                          details: ["credential": identity.authenticatedBy], on: connection)
            return revocation
        } }
        if let revocation { runtime.authCache.revoked(revocation) }
        var response = Response(status: .noContent)
        response.setCookie(sessionCookie("", maxAge: 0))
        return response
    }

    /// The current password is checked, and throttled, exactly as a login is: a stolen session cannot
    /// be used to guess it. The new one ends the user's other sessions, on every node.
    func changeOwnPassword(_ request: Request, _ context: StewardRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let body = try await request.decode(as: PasswordChangeRequest.self, context: context)
        guard let current = body.currentPassword, !current.isEmpty else { throw APIError.badRequest("currentPassword is required") }
        try UserRoutes.checkPassword(body.newPassword, minimum: security.passwordMinimumLength)
        let hash = try await hasher.hash(body.newPassword)
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime
        var keep: [UInt8]?
        if case .session(let sessionHash, _) = identity.credential { keep = sessionHash }
        let kept = keep
        let outcome = try await LoginService(runtime: runtime, hasher: hasher, devices: runtime.devices).login(
            username: identity.username, password: current, source: source,
            device: body.device ?? request.cookies[DeviceCookies.cookieName]?.value, action: "user.password"
        ) { user, connection in
            guard user.userID == identity.user.userID else { throw APIError.forbidden("the current password is wrong") }
            try await UserRepository(logger: runtime.logger).setPassword(user.userID, passwordHash: hash, on: connection)
            try await SessionRepository(logger: runtime.logger).deleteAll(userID: user.userID, except: kept, on: connection)
            try await AuthRevocation.user(user.userID).notify(on: connection, logger: runtime.logger)
        }
        switch outcome {
        case .invalid: throw APIError.forbidden("the current password is wrong")
        case .throttled(let seconds): throw Self.throttled(seconds)
        case .success: break
        }
        runtime.authCache.revoked(.user(identity.user.userID))
        return Response(status: .noContent)
    }

    /// The same words whether the name exists or not, and the way out.
    static func throttled(_ seconds: Int) -> APIError {
        APIError(status: .tooManyRequests, message:
            "too many failed logins for this account from this client; try again in \(max(1, seconds / 60)) minutes, or from a device that has logged in before",
            headers: [.retryAfter: String(seconds)])
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
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
