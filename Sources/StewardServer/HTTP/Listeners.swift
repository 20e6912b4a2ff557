import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOSSL
import ServiceLifecycle

/// The node's three listeners, one Hummingbird `Application` each (one per port), all bound to
/// `server.bind.address`, each with its own job (see docs/operations.md, "Ports"):
/// - HTTP: health, and redirects to HTTPS; credentials only from a trusted proxy (TLS ended there).
/// - HTTPS: the API and the web console (`/console/`).
/// - the agent port: the agent WebSocket channel and health, nothing else.
/// Each is guarded: a cap on connections, deadlines for the handshake, the headers, the body and
/// the next request, a header size limit and per-route body limits.
struct Listeners {
    let runtime: NodeRuntime
    let tls: TLSConfiguration
    /// The agent port's own: a certificate from the cluster CA, and agents' client certificates checked.
    let agentTLS: TLSConfiguration
    let hasher: PasswordHasher
    let logger: Logger

    var limits: ListenerLimits { ListenerLimits(runtime.configuration.listeners) }

    /// The applications, and the counters of what each turned away.
    func applications() throws -> (services: [any Service], counters: [ListenerCounters]) {
        let configuration = runtime.configuration
        let listeners = configuration.listeners
        let address = configuration.bindAddress
        let limits = self.limits
        let context = try NIOSSLContext(configuration: tls)
        let agentContext = try NIOSSLContext(configuration: agentTLS)
        let counters = [Listener.http, .https, .webSocket].map(ListenerCounters.init)
        let http1 = HTTP1Channel.Configuration(
            idleTimeout: limits.idle.timeAmount,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maxHeaderSize, maxHeaderListSize: limits.maxHeaderSize, maxHeaderFieldCount: 200))
        let http = Application(
            router: router(for: .http),
            server: .guardedHTTP1(configuration: http1, tls: nil, limits: limits, counters: counters[0]),
            configuration: .init(address: .hostname(address, port: configuration.httpPort), serverName: "Steward", backlog: 1024,
                                 availableConnectionsDelegate: MaximumAvailableConnections(listeners.httpMaxConnections)),
            logger: logger.withListener(.http))
        let https = Application(
            router: router(for: .https),
            server: .guardedHTTP1(configuration: http1, tls: context, limits: limits, counters: counters[1]),
            configuration: .init(address: .hostname(address, port: configuration.httpsPort), serverName: "Steward", backlog: 1024,
                                 availableConnectionsDelegate: MaximumAvailableConnections(listeners.httpsMaxConnections)),
            logger: logger.withListener(.https))
        // A peer that misses a ping is closed; one that then sends no close frame (a paused process) is dropped after as long again.
        let ping = listeners.agentPingInterval
        let webSocketConfiguration = WebSocketServerConfiguration(
            maxFrameSize: AgentSocketRoutes.maxMessageSize, autoPing: .enabled(timePeriod: ping), closeTimeout: ping)
        let webSocket = Application(
            router: router(for: .webSocket),
            server: .guardedWebSocket(router: router(for: .webSocket), configuration: .init(http1: http1, ws: webSocketConfiguration),
                                      tls: agentContext, limits: limits, counters: counters[2],
                                      admission: runtime.agentAccepts),
            configuration: .init(address: .hostname(address, port: configuration.webSocketPort), serverName: "Steward", backlog: 4096,
                                 availableConnectionsDelegate: MaximumAvailableConnections(listeners.webSocketMaxConnections)),
            logger: logger.withListener(.webSocket))
        return ([ListenerGroup(applications: [http, https, webSocket])], counters)
    }

    /// Middleware first (Hummingbird applies it only to routes added after it), outermost first: the
    /// request log sees the status the error shaper settled on, and HTTPS answers, errors included,
    /// carry the security headers.
    func router(for listener: Listener) -> Router<StewardRequestContext> {
        let router = Router(context: StewardRequestContext.self)
        router.add(middleware: ListenerMiddleware(listener: listener))
        router.add(middleware: RequestLogMiddleware(runtime: runtime))
        if listener == .https { router.add(middleware: SecurityHeadersMiddleware()) }
        router.add(middleware: ErrorShapeMiddleware(runtime: runtime))
        if listener == .http { router.add(middleware: PlainHTTPMiddleware(runtime: runtime)) }
        HealthRoutes(runtime: runtime).add(to: router)
        if listener == .webSocket {
            AgentSocketRoutes(runtime: runtime).add(to: router)
            let agentRoutes = AgentRoutes(runtime: runtime)
            agentRoutes.addAuthority(to: router)
            agentRoutes.addEnrollment(to: router.group("/api/v1").add(middleware: AuthenticationMiddleware(runtime: runtime)))
        } else {
            addAPI(to: router)
        }
        return router
    }

    func addAPI(to router: Router<StewardRequestContext>) {
        addAPIRoutes(to: router)
        // The console calls these same routes in process, through a router of its own that shapes errors as the API does.
        let apiRouter = Router(context: StewardRequestContext.self)
        apiRouter.add(middleware: ErrorShapeMiddleware(runtime: runtime))
        addAPIRoutes(to: apiRouter)
        ConsoleRoutes(runtime: runtime, api: ConsoleAPI(responder: apiRouter.buildResponder())).add(to: router)
    }

    func addAPIRoutes(to router: Router<StewardRequestContext>) {
        let api = router.group("/api/v1").add(middleware: AuthenticationMiddleware(runtime: runtime))
        ClusterRoutes(runtime: runtime).add(to: api)
        SettingsRoutes(runtime: runtime).add(to: api)
        AuthRoutes(runtime: runtime, hasher: hasher).add(to: api)
        UserRoutes(runtime: runtime, hasher: hasher).add(to: api)
        TokenRoutes(runtime: runtime).add(to: api)
        AuditRoutes(runtime: runtime).add(to: api)
        SecretsRoutes(runtime: runtime).add(to: api)
        KeysRoutes(runtime: runtime).add(to: api)
        JobsRoutes(runtime: runtime).add(to: api)
        SchedulesRoutes(runtime: runtime).add(to: api)
        LicenseRoutes(runtime: runtime).add(to: api)
        AgentRoutes(runtime: runtime).add(to: api)
        AgentCommandRoutes(runtime: runtime).add(to: api)
        MetricsRoutes(runtime: runtime).add(to: router)
    }
}

extension Logger {
    func withListener(_ listener: Listener) -> Logger {
        var logger = Logger(label: "steward.http")
        logger[metadataKey: "listener"] = "\(listener.rawValue)"
        return logger
    }
}

/// The three applications as one service: a graceful shutdown reaches all of them at once, so every
/// port stops taking connections together (a service group would close them one after another,
/// each waiting for the previous one's requests in flight).
struct ListenerGroup: Service {
    let applications: [any Service]

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for application in applications { group.addTask { try await application.run() } }
            try await group.waitForAll()
        }
    }
}
