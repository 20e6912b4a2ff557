import HTTPTypes
import Hummingbird

/// The headers every HTTPS answer carries: HSTS (browsers use HTTPS from then on), a strict
/// Content-Security-Policy (the API serves data, never pages to frame or scripts to run), no MIME
/// sniffing, no referrer, and no caching of what may be private.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = StewardRequestContext

    static let headers: HTTPFields = [
        .strictTransportSecurity: "max-age=31536000",
        .contentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .xFrameOptions: "DENY",
        .cacheControl: "no-store",
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for field in Self.headers where response.headers[field.name] == nil {
            response.headers.append(field)
        }
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
