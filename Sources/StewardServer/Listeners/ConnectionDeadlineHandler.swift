import NIOCore
import NIOTLS

/// Cuts off a connection that has not finished its TLS handshake, or the headers of its first
/// request, in time. Hummingbird's idle timer starts only after a first request on the agent port and
/// counts nothing before it, and NIOSSL has no handshake timeout at all, so a peer that opens a socket
/// and trickles (or sends nothing) would otherwise hold it for ever. Written by hand because no
/// listed package has one (see STACK.md).
///
/// It sits right after TLS and sees plaintext bytes: the first request's headers end at the first
/// blank line. Once that has arrived the handler leaves the pipeline; from then on the keep-alive
/// idle timeout (and, on the agent port, the WebSocket pings) take over.
final class ConnectionDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let handshakeTimeout: TimeAmount?
    let headerTimeout: TimeAmount
    let counters: ListenerCounters
    private var handshakeTimer: Scheduled<Void>?
    private var headerTimer: Scheduled<Void>?
    private var tail: [UInt8] = []
    private var armed = false

    /// `handshakeTimeout` is nil on plain HTTP.
    init(handshakeTimeout: TimeAmount?, headerTimeout: TimeAmount, counters: ListenerCounters) {
        self.handshakeTimeout = handshakeTimeout
        self.headerTimeout = headerTimeout
        self.counters = counters
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        headerTimer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        headerTimer?.cancel()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            handshakeTimer?.cancel()
            handshakeTimer = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let headersEnded = endsHeaders(buffer)
        context.fireChannelRead(data)
        if headersEnded {
            headerTimer?.cancel()
            headerTimer = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    /// Whether the blank line that ends a request's headers is in `buffer` (or spans the previous one).
    func endsHeaders(_ buffer: ByteBuffer) -> Bool {
        let bytes = tail + buffer.readableBytesView
        let found = bytes.withUnsafeBufferPointer { pointer -> Bool in
            guard pointer.count >= 4 else { return false }
            for index in 0...(pointer.count - 4)
            where pointer[index] == 13 && pointer[index + 1] == 10 && pointer[index + 2] == 13 && pointer[index + 3] == 10 {
                return true
            }
            return false
        }
        tail = Array(bytes.suffix(3))
        return found
    }

    func arm(_ context: ChannelHandlerContext) {
        guard !armed else { return }
        armed = true
        let loop = context.eventLoop
        let bound = NIOLoopBound(context, eventLoop: loop)
        if let handshakeTimeout {
            handshakeTimer = loop.scheduleTask(in: handshakeTimeout) { [counters] in
                counters.handshakeTimedOut()
                bound.value.close(promise: nil)
            }
        }
        headerTimer = loop.scheduleTask(in: headerTimeout) { [counters] in
            counters.headersTimedOut()
            bound.value.close(promise: nil)
        }
    }
}
