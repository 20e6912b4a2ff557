import Foundation
import Hummingbird

/// The plain HTTP port's rule: it answers health checks and sends browsers to HTTPS, and it takes
/// credentials (a password, a token, a session cookie) only from `server.trusted.proxies`, which end
/// TLS themselves. From anyone else they are refused with the way to do it right, so that no secret
/// crosses a network in clear text by accident.
struct PlainHTTPMiddleware: RouterMiddleware {
    typealias Context = StewardRequestContext
    let runtime: NodeRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path.hasPrefix("/health/") { return try await next(request, context) }
        let peer = context.remoteAddress?.ipAddress ?? ""
        if ClientAddress.isTrusted(peer, runtime.configuration.trustedProxies) { return try await next(request, context) }
        let secure = httpsURL(for: request)
        if Self.carriesCredentials(request) {
            throw APIError(status: .forbidden, message:
                "credentials are not accepted over plain HTTP: use \(secure) (a proxy that ends TLS must be listed in server.trusted.proxies)")
        }
        guard request.method == .get || request.method == .head else {
            throw APIError(status: .forbidden, message: "plain HTTP only serves health checks; use \(secure)")
        }
        return Response(status: .permanentRedirect, headers: [.location: secure, .cacheControl: "no-store"])
    }

    static func carriesCredentials(_ request: Request) -> Bool {
        request.headers[.authorization] != nil || request.cookies[AuthenticationMiddleware.sessionCookie] != nil
            || request.uri.path == "/api/v1/auth/login" || request.uri.path == "/api/v1/agents/enroll"
    }

    /// The same path on HTTPS: through the load balancer's URL when one is configured, else this node's port.
    func httpsURL(for request: Request) -> String {
        let path = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        if let external = runtime.configuration.externalURL, external.scheme == "https" {
            return external.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path
        }
        let authority = request.head.authority ?? runtime.configuration.bindAddress
        let host = authority.hasPrefix("[") ? String(authority.prefix { $0 != "]" }) + "]" : String(authority.prefix { $0 != ":" })
        return "https://\(host):\(runtime.configuration.httpsPort)\(path)"
    }
}
