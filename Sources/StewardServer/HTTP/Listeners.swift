import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOSSL
import ServiceLifecycle

/// The node's three listeners, one Hummingbird `Application` each (one per port), all bound
/// to `server.bind.address`: HTTP, HTTPS, and the TLS WebSocket endpoint for agents.
/// Every port serves the health checks and the API; only the WebSocket port upgrades.
struct Listeners {
    let runtime: NodeRuntime
    let tls: TLSConfiguration
    let hasher: PasswordHasher
    let logger: Logger

    func applications() throws -> [any Service] {
        let configuration = runtime.configuration
        let address = configuration.bindAddress
        let http = Application(
            router: router(for: .http),
            server: .http1(),
            configuration: .init(address: .hostname(address, port: configuration.httpPort), serverName: "Steward"),
            logger: logger.withListener(.http))
        let https = Application(
            router: router(for: .https),
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(address, port: configuration.httpsPort), serverName: "Steward"),
            logger: logger.withListener(.https))
        let webSocketConfiguration = WebSocketServerConfiguration(
            maxFrameSize: AgentSocketRoutes.maxMessageSize, autoPing: .enabled(timePeriod: .seconds(30)))
        let webSocket = Application(
            router: router(for: .webSocket),
            server: try .tls(
                .http1WebSocketUpgrade(webSocketRouter: router(for: .webSocket), configuration: .init(ws: webSocketConfiguration)),
                tlsConfiguration: tls),
            configuration: .init(address: .hostname(address, port: configuration.webSocketPort), serverName: "Steward"),
            logger: logger.withListener(.webSocket))
        return [http, https, webSocket]
    }

    func router(for listener: Listener) -> Router<StewardRequestContext> {
        let router = Router(context: StewardRequestContext.self)
        router.add(middleware: ListenerMiddleware(listener: listener))
        router.add(middleware: RequestLogMiddleware(runtime: runtime))
        HealthRoutes(runtime: runtime).add(to: router)
        let api = router.group("/api/v1").add(middleware: AuthenticationMiddleware(runtime: runtime))
        ClusterRoutes(runtime: runtime).add(to: api)
        SettingsRoutes(runtime: runtime).add(to: api)
        AuthRoutes(runtime: runtime, hasher: hasher).add(to: api)
        UserRoutes(runtime: runtime, hasher: hasher).add(to: api)
        TokenRoutes(runtime: runtime).add(to: api)
        AuditRoutes(runtime: runtime).add(to: api)
        if listener == .webSocket { AgentSocketRoutes(runtime: runtime).add(to: router) }
        return router
    }
}

extension Logger {
    func withListener(_ listener: Listener) -> Logger {
        var logger = Logger(label: "steward.http")
        logger[metadataKey: "listener"] = "\(listener.rawValue)"
        return logger
    }
}
