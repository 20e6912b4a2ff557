/// The `server.*` limits that keep one slow or hostile client from costing anyone else anything.
/// Each default is sized for its port's job and explained in docs/operations.md.
public struct ListenerConfiguration: Sendable {
    /// Open connections per port; past the cap, new ones wait in the kernel's accept queue.
    public var httpMaxConnections = 4096
    public var httpsMaxConnections = 4096
    /// Sized for 10,000 agents on one node, with room for the health checks.
    public var webSocketMaxConnections = 10240
    /// A TLS handshake that has not finished by then is cut off.
    public var handshakeTimeout: Duration = .seconds(10)
    /// From connecting to the end of the first request's headers.
    public var headerTimeout: Duration = .seconds(10)
    /// Between requests on a kept-alive connection (the next request's headers included).
    public var idleTimeout: Duration = .seconds(30)
    /// A request body must arrive within this from its headers.
    public var bodyTimeout: Duration = .seconds(30)
    /// All of a request's header lines together.
    public var maxHeaderSize = 32 * 1024
    /// Each side of an agent channel pings this often; a peer silent for two intervals is gone.
    public var agentPingInterval: Duration = .seconds(10)
    /// New agent channels accepted per second; past it they are refused and retry with backoff.
    public var agentAcceptRate = 500

    public init() {}

    init(reader: PropertyReader) throws(ConfigurationError) {
        httpMaxConnections = try reader.int("server.http.max.connections", default: httpMaxConnections, range: 16...1_000_000)
        httpsMaxConnections = try reader.int("server.https.max.connections", default: httpsMaxConnections, range: 16...1_000_000)
        webSocketMaxConnections = try reader.int("server.websocket.max.connections", default: webSocketMaxConnections, range: 16...1_000_000)
        handshakeTimeout = try reader.duration("server.tls.handshake.timeout", default: handshakeTimeout)
        headerTimeout = try reader.duration("server.http.header.timeout", default: headerTimeout)
        idleTimeout = try reader.duration("server.http.idle.timeout", default: idleTimeout)
        bodyTimeout = try reader.duration("server.http.body.timeout", default: bodyTimeout)
        agentPingInterval = try reader.duration("server.websocket.ping.interval", default: agentPingInterval)
        guard agentPingInterval >= .seconds(1), agentPingInterval <= .seconds(300) else {
            throw reader.error("server.websocket.ping.interval", "from 1s to 5m")
        }
        agentAcceptRate = try reader.int("server.websocket.accept.rate", default: agentAcceptRate, range: 1...100_000)
        // NIO's decoder enforces it; it cannot go above the decoder's own 80 KiB.
        maxHeaderSize = try reader.int("server.http.max.header.size", default: maxHeaderSize, range: 4096...(80 * 1024))
    }

    /// File descriptors the caps can use at most, with room for the database, logs and appdata.
    public var descriptorsNeeded: Int { httpMaxConnections + httpsMaxConnections + webSocketMaxConnections + 512 }
}
