import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// Which of the node's three listeners a request arrived on. "Secure" is decided from the
/// listener, never from the request (Hummingbird may report https requests as http).
public enum Listener: String, Sendable {
    case http, https, webSocket

    public var isSecure: Bool { self != .http }
}

/// The request context of every Steward route, on every listener.
public struct StewardRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    public let remoteAddress: SocketAddress?
    /// The connection, for what only it knows: the client certificate on the agent port.
    let channel: any Channel
    public var listener: Listener = .http
    /// Who is calling, once `AuthenticationMiddleware` has checked the credentials.
    public var identity: Identity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// The most this request's route takes (see `ListenerLimits.bodyLimit`), set by `ListenerMiddleware`.
    public var bodyLimit = ListenerLimits.otherBodyLimit

    /// What `request.decode` reads at most; an announced size over it was refused before any reading.
    public var maxUploadSize: Int { bodyLimit }

    /// JSON, with refusals in the API's words.
    public var requestDecoder: StewardRequestDecoder { StewardRequestDecoder() }
}

/// Tags each request with the listener it came in on.
struct ListenerMiddleware: RouterMiddleware {
    typealias Context = StewardRequestContext
    let listener: Listener

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.listener = listener
        context.bodyLimit = ListenerLimits.bodyLimit(path: Substring(request.uri.path))
        return try await next(request, context)
    }
}
