import Foundation
import NIOCore
import NIOHTTP1
import StewardModel

/// The HTTP checks that need the wire's view of a request, which Hummingbird's routes never get
/// (they see neither the HTTP version nor a parse error): it sits between NIO's HTTP decoder and
/// Hummingbird's codec on the HTTP and HTTPS ports. Written by hand because nothing listed does this.
///
/// - HTTP/1.1 without `Host`: 400. A body announced bigger than its route takes: 413 at once,
///   before a byte of it is read. A malformed request (bad chunking, `Content-Length` with
///   `Transfer-Encoding`, headers over the limit): 400 or 431. Each with the API's error shape.
/// - A body that has not arrived within the body timeout fails the request (the route answers 408).
/// - After a 400, 408, 413 or 431, and after a request that did not ask for keep-alive (HTTP/1.0
///   without `Connection: keep-alive`, or `Connection: close`), the connection is closed once the
///   answer is out, rather than left to read (and discard) whatever else the client sends.
final class HTTPEdgeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let bodyTimeout: TimeAmount
    let maxHeaderSize: Int
    let counters: ListenerCounters

    /// Requests whose head was passed on and whose answer has not ended yet.
    private var answersPending = 0
    private var readingBody = false
    private var bodyTimer: Scheduled<Void>?
    /// Inbound parts are dropped from here on: the connection ends after what is pending.
    private var discarding = false
    private var closeAfterAnswer = false
    private var pendingRefusal: (HTTPResponseStatus, String)?

    init(bodyTimeout: TimeAmount, maxHeaderSize: Int, counters: ListenerCounters) {
        self.bodyTimeout = bodyTimeout
        self.maxHeaderSize = maxHeaderSize
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if discarding { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if let (status, message) = refusal(for: head) { return refuse(context, status, message) }
            if !head.isKeepAlive { closeAfterAnswer = true }
            answersPending += 1
            if Self.hasBody(head) {
                readingBody = true
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                bodyTimer = context.eventLoop.scheduleTask(in: bodyTimeout) { bound.value.0.bodyTimedOut(bound.value.1) }
            }
            context.fireChannelRead(data)
        case .body:
            context.fireChannelRead(data)
        case .end:
            readingBody = false
            bodyTimer?.cancel()
            bodyTimer = nil
            context.fireChannelRead(data)
        }
    }

    func refusal(for head: HTTPRequestHead) -> (HTTPResponseStatus, String)? {
        if head.version == .http1_1, head.headers["Host"].isEmpty {
            return (.badRequest, "an HTTP/1.1 request needs a Host header")
        }
        let limit = ListenerLimits.bodyLimit(path: Substring(head.uri))
        if let announced = head.headers["Content-Length"].first.flatMap({ Int64($0.trimmingCharacters(in: .whitespaces)) }), announced > limit {
            return (.payloadTooLarge, "the request body would be \(announced) bytes; \(head.uri.prefix { $0 != "?" }.prefix(100)) takes at most \(limit)")
        }
        return nil
    }

    static func hasBody(_ head: HTTPRequestHead) -> Bool {
        if let length = head.headers["Content-Length"].first, let value = Int(length), value > 0 { return true }
        return head.headers["Transfer-Encoding"].contains { $0.lowercased().contains("chunked") }
    }

    func bodyTimedOut(_ context: ChannelHandlerContext) {
        guard readingBody else { return }
        readingBody = false
        discarding = true
        closeAfterAnswer = true
        counters.bodyTimedOut()
        context.fireErrorCaught(RequestBodyTimeout(limit: bodyTimeout))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        if readingBody {
            // The route is reading this body: it fails there, and its answer says so (400).
            readingBody = false
            discarding = true
            closeAfterAnswer = true
            counters.requestRefused()
            return context.fireErrorCaught(error)
        }
        if parse == .headerOverflow {
            refuse(context, .requestHeaderFieldsTooLarge, "the request's headers are larger than \(maxHeaderSize / 1024) KiB")
        } else {
            refuse(context, .badRequest, "malformed HTTP request (\(Self.describe(parse)))")
        }
    }

    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidContentLength, .unexpectedContentLength: return "Content-Length is invalid or sent together with Transfer-Encoding"
        case .invalidChunkSize: return "a chunk of the body is malformed"
        case .invalidVersion: return "unknown HTTP version"
        case .invalidMethod: return "unknown method"
        case .invalidURL: return "invalid request target"
        case .invalidHeaderToken, .invalidConstant, .invalidCharactersUsed: return "invalid characters in the request line or headers"
        default: return "refused by the parser: for example Content-Length sent together with Transfer-Encoding, or a malformed header"
        }
    }

    /// Answers on the spot, and closes: the request never reaches a route.
    func refuse(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ message: String) {
        counters.requestRefused()
        discarding = true
        guard answersPending == 0 else {
            pendingRefusal = (status, message)
            return
        }
        let body = (try? ErrorBody.encoder.encode(ErrorBody(error: message))).map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
        let headers = HTTPHeaders([
            ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", String(body.readableBytes)), ("Connection", "close"),
        ])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            if [400, 408, 413, 431].contains(head.status.code) { closeAfterAnswer = true }
            if closeAfterAnswer || discarding { head.headers.replaceOrAdd(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            answersPending = max(0, answersPending - 1)
            let close = (closeAfterAnswer || discarding) && answersPending == 0
            let refusal = answersPending == 0 ? pendingRefusal : nil
            if close || refusal != nil {
                let written = promise ?? context.eventLoop.makePromise()
                context.write(data, promise: written)
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                written.futureResult.whenComplete { _ in
                    let (handler, context) = bound.value
                    if let (status, message) = refusal {
                        handler.pendingRefusal = nil
                        handler.refuse(context, status, message)
                    } else {
                        context.close(promise: nil)
                    }
                }
            } else {
                context.write(data, promise: promise)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { bodyTimer?.cancel() }

    func channelInactive(context: ChannelHandlerContext) {
        bodyTimer?.cancel()
        context.fireChannelInactive()
    }
}

/// A request whose body did not arrive in time; the route's answer is 408.
struct RequestBodyTimeout: Error, CustomStringConvertible {
    let limit: TimeAmount
    var description: String { "the request body did not arrive within \(limit.nanoseconds / 1_000_000_000)s" }
}
