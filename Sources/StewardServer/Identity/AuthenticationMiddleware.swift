import Foundation
import Hummingbird
import Logging
import StewardDatabase
import StewardModel

/// Guards every `/api/v1` route: finds the route's rule in `AccessPolicy`, checks the bearer
/// token or session cookie against the database (so every node agrees, at once, on logouts and
/// revocations), demands the CSRF token on cookie-authenticated state changes, and checks the role.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = StewardRequestContext
    let runtime: NodeRuntime
    static let sessionCookie = "__Host-steward_session"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = context.endpointPath ?? request.uri.path
        guard let rule = AccessPolicy.rule(method: request.method, path: path) else {
            runtime.logger.error("refused \(request.method) \(path): the route has no access rule")
            throw APIError.forbidden("this route has no access rule")
        }
        if rule == .anyone { return try await next(request, context) }
        guard let identity = try await authenticate(request) else { throw APIError.unauthenticated }
        if case .session(_, let csrf) = identity.credential, Self.changesState(request.method) {
            guard let sent = request.headers[.xCSRFToken], SecretTokens.constantTimeEquals(sent, csrf) else {
                throw APIError.forbidden("missing or wrong X-CSRF-Token header (required with a session cookie)")
            }
        }
        if case .atLeast(let required) = rule, identity.role < required {
            throw APIError.forbidden("this needs the \(required.rawValue) role; \(identity.username) is \(identity.role.rawValue)")
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    func authenticate(_ request: Request) async throws -> Identity? {
        let client = runtime.database
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { return nil }
            let hash = SecretTokens.hash(String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
            let tokens = TokenRepository(logger: runtime.logger)
            guard let (user, tokenID) = try await withDeadline(.seconds(5), "token check", { try await tokens.authenticate(hash: hash, on: client) })
            else { return nil }
            return Identity(user: user, credential: .token(tokenID))
        }
        guard let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty else { return nil }
        let hash = SecretTokens.hash(cookie)
        let sessions = SessionRepository(logger: runtime.logger)
        let idle = runtime.cluster.sessionIdleTimeout
        guard let (user, csrf) = try await withDeadline(.seconds(5), "session check", { try await sessions.authenticate(hash: hash, idle: idle, on: client) })
        else { return nil }
        return Identity(user: user, credential: .session(hash: hash, csrfToken: csrf))
    }
}
