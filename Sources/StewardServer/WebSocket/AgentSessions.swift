import Foundation
import StewardModel
import StewardAgentProtocol
import Synchronization
import HummingbirdWebSocket
import NIOWebSocket

/// One agent's open channel on this node. Everything sent to it goes through one outbox, written in
/// order by the connection's writer task, so messages from several tasks never interleave.
final class AgentSession: Sendable {
    enum Outgoing: Sendable {
        case message(AgentMessage)
        /// Sends the message, then closes the connection.
        case close(AgentMessage, WebSocketErrorCode)
    }

    let agentID: UUID
    let name: String
    /// The serial of the certificate this connection was authenticated with.
    let certificateSerial: String
    let outbox: AsyncStream<Outgoing>
    private let continuation: AsyncStream<Outgoing>.Continuation

    init(agentID: UUID, name: String, certificateSerial: String) {
        self.agentID = agentID
        self.name = name
        self.certificateSerial = certificateSerial
        (outbox, continuation) = AsyncStream<Outgoing>.makeStream()
    }

    func send(_ message: AgentMessage) { continuation.yield(.message(message)) }

    func close(with message: AgentMessage, code: WebSocketErrorCode) {
        continuation.yield(.close(message, code))
        continuation.finish()
    }

    func finish() { continuation.finish() }
}

/// The agent channels open on this node, by agent: where a command for an agent goes, how many
/// agents the node holds, and whom to send away when it leaves service.
final class AgentSessions: Sendable {
    private let open = Mutex<[UUID: AgentSession]>([:])

    var count: Int { open.withLock { $0.count } }
    var agentIDs: [UUID] { open.withLock { Array($0.keys) } }

    func session(for agentID: UUID) -> AgentSession? { open.withLock { $0[agentID] } }

    /// Registers a session; returns the one it replaces (the same agent connected again), for the caller to close.
    func register(_ session: AgentSession) -> AgentSession? {
        open.withLock { open in
            defer { open[session.agentID] = session }
            return open[session.agentID]
        }
    }

    /// True when `session` was the agent's current one (and so the agent is now gone from this node).
    @discardableResult
    func unregister(_ session: AgentSession) -> Bool {
        open.withLock { open in
            guard open[session.agentID] === session else { return false }
            open.removeValue(forKey: session.agentID)
            return true
        }
    }

    /// Asks every agent to reconnect to another node, each after a delay spread over `window`, so
    /// that the others are not hit by all of them at once.
    func sendAllAway(reason: String, window: Duration) {
        let milliseconds = Int(window.inMilliseconds)
        for session in open.withLock({ Array($0.values) }) {
            session.close(with: .reconnect(Reconnect(reason: reason, afterMilliseconds: Int.random(in: 0...max(milliseconds, 1)))),
                          code: .goingAway)
        }
    }
}

/// New agent channels accepted per second, as a token bucket: a reconnect storm is admitted at a
/// pace the node can take (the TLS handshakes and database reads), the rest retry with jittered backoff.
final class AcceptRate: Sendable {
    private let state: Mutex<(tokens: Double, at: ContinuousClock.Instant)>
    let perSecond: Double

    init(perSecond: Int) {
        self.perSecond = Double(perSecond)
        state = Mutex((Double(perSecond), .now))
    }

    func take() -> Bool {
        state.withLock { state in
            let now = ContinuousClock.now
            state.tokens = min(perSecond, state.tokens + (now - state.at).inSeconds * perSecond)
            state.at = now
            guard state.tokens >= 1 else { return false }
            state.tokens -= 1
            return true
        }
    }
}
