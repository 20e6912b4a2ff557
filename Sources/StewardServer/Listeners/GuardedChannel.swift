import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// A Hummingbird child channel with Steward's guards in front of it: TLS (when the port has it),
/// the handshake and first-request deadlines, and, on the HTTP ports, the edge checks placed right
/// after NIO's HTTP decoder; on the agent port, the accept rate, checked before any TLS work.
/// Hummingbird's `.tls(...)` adds only the TLS handler, so this replaces it; the base channel
/// (HTTP/1 or HTTP/1 with WebSocket upgrade) is Hummingbird's own.
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let tls: NIOSSLContext?
    let limits: ListenerLimits
    let counters: ListenerCounters
    /// The edge checks need an HTTP decoder that stays: not on the agent port, where it is replaced on upgrade.
    let edgeChecks: Bool
    /// New connections a second this port takes (the agent port's); the rest are closed at once.
    var admission: AcceptRate? = nil

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // A connection over the rate is closed before its TLS handshake, the costly part: in a
        // reconnect storm a turned-away attempt costs the node an accept and a close, and the agent
        // retries after its jittered backoff. (NIO leaves a channel whose setup failed open.)
        if let admission, !admission.take() {
            counters.overAcceptRate()
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ChannelError.inputClosed)
        }
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
            try pipeline.addHandler(ConnectionDeadlineHandler(
                handshakeTimeout: tls == nil ? nil : limits.handshake.timeAmount, headerTimeout: limits.header.timeAmount,
                counters: counters))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            if edgeChecks {
                let pipeline = channel.pipeline.syncOperations
                let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                try pipeline.addHandler(HTTPEdgeHandler(bodyTimeout: limits.body.timeAmount, maxHeaderSize: limits.maxHeaderSize,
                                                        counters: counters), position: .after(decoder))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 behind Steward's guards (see `GuardedChannel`).
    static func guardedHTTP1(configuration: HTTP1Channel.Configuration, tls: NIOSSLContext?, limits: ListenerLimits,
                             counters: ListenerCounters) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedChannel(base: HTTP1Channel(responder: responder, configuration: configuration), tls: tls, limits: limits,
                           counters: counters, edgeChecks: true)
        }
    }

    /// HTTP/1 with the WebSocket upgrade behind Steward's guards (the accept rate, TLS and deadlines).
    static func guardedWebSocket<Router: HTTPResponderBuilder>(
        router: Router, configuration: HTTP1WebSocketUpgradeChannel.Configuration, tls: NIOSSLContext?, limits: ListenerLimits,
        counters: ListenerCounters, admission: AcceptRate
    ) -> HTTPServerBuilder where Router.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = router.buildResponder()
        return HTTPServerBuilder { responder in
            GuardedChannel(base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                           tls: tls, limits: limits, counters: counters, edgeChecks: false, admission: admission)
        }
    }
}
