import Logging
import ServiceLifecycle
import Synchronization

/// What the listeners turned away, counted per port, so that a flood shows in the log as one line
/// a minute ("closed 1,912 connections that sent no request headers within 10s") rather than as
/// thousands of lines, or not at all.
final class ListenerCounters: Sendable {
    let listener: Listener
    private let handshakes = Atomic<Int>(0)
    private let headers = Atomic<Int>(0)
    private let bodies = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)
    private let overRate = Atomic<Int>(0)

    init(listener: Listener) { self.listener = listener }

    func handshakeTimedOut() { handshakes.add(1, ordering: .relaxed) }
    func headersTimedOut() { headers.add(1, ordering: .relaxed) }
    func bodyTimedOut() { bodies.add(1, ordering: .relaxed) }
    func requestRefused() { refused.add(1, ordering: .relaxed) }
    func overAcceptRate() { overRate.add(1, ordering: .relaxed) }

    struct Snapshot: Equatable {
        var handshakes = 0, headers = 0, bodies = 0, refused = 0, overRate = 0
        var isEmpty: Bool { self == Snapshot() }
    }

    /// The counts since the last call.
    func take() -> Snapshot {
        Snapshot(handshakes: handshakes.exchange(0, ordering: .relaxed), headers: headers.exchange(0, ordering: .relaxed),
                 bodies: bodies.exchange(0, ordering: .relaxed), refused: refused.exchange(0, ordering: .relaxed),
                 overRate: overRate.exchange(0, ordering: .relaxed))
    }
}

/// Logs each port's counts once a minute, when there is something to say.
struct ListenerCountersReporter: Service {
    let counters: [ListenerCounters]
    let limits: ListenerLimits
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                report()
            }
        }
    }

    func report() {
        for counter in counters {
            let seen = counter.take()
            guard !seen.isEmpty else { continue }
            var parts: [String] = []
            if seen.handshakes > 0 { parts.append("\(seen.handshakes) TLS handshakes not finished within \(limits.handshake)") }
            if seen.headers > 0 { parts.append("\(seen.headers) connections that sent no complete request headers within \(limits.header)") }
            if seen.bodies > 0 { parts.append("\(seen.bodies) request bodies not received within \(limits.body)") }
            if seen.refused > 0 { parts.append("\(seen.refused) malformed or oversized requests") }
            if seen.overRate > 0 { parts.append("\(seen.overRate) new connections over the accept rate") }
            logger.warning("\(counter.listener.rawValue) port, last minute: closed \(parts.joined(separator: ", "))",
                           metadata: ["listener": "\(counter.listener.rawValue)"])
        }
    }
}
