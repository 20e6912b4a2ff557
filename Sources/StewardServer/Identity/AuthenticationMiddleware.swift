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

    /// From the cache when it was checked a moment ago (no database round trip), else with one query.
    func authenticate(_ request: Request) async throws -> Identity? {
        let database = runtime.database, cache = runtime.authCache, settings = runtime.cluster
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { return nil }
            let hash = SecretTokens.hash(String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces))
            if let cached = cache.identity(for: hash) { return cached }
            let generation = cache.generation
            let tokens = TokenRepository(logger: runtime.logger)
            guard let (user, tokenID, endsAt) = try await tokens.authenticate(hash: hash, maxLifetime: settings.tokenMaxLifetime, on: database)
            else { return nil }
            let identity = Identity(user: user, credential: .token(tokenID))
            cache.store(identity, for: hash, endsAt: endsAt, lookedUpAt: generation)
            return identity
        }
        guard let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty else { return nil }
        let hash = SecretTokens.hash(cookie)
        // A session's use is recorded only when it is looked up, so it is cached for at most a quarter
        // of the idle timeout: a session in use is then never taken for an idle one.
        let idle = settings.sessionIdleTimeout
        if let cached = cache.identity(for: hash, maxAge: idle / 4) { return cached }
        let generation = cache.generation
        let sessions = SessionRepository(logger: runtime.logger)
        guard let (user, csrf, endsAt) = try await sessions.authenticate(hash: hash, idle: idle, on: database) else { return nil }
        let identity = Identity(user: user, credential: .session(hash: hash, csrfToken: csrf))
        cache.store(identity, for: hash, endsAt: endsAt, lookedUpAt: generation)
        return identity
    }
}
