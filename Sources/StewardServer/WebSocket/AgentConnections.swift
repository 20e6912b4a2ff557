import Foundation
import Synchronization

/// The agent WebSocket connections open on this node, so that a node leaving service can ask
/// every agent to reconnect elsewhere (and so that the status views can count them).
final class AgentConnections: Sendable {
    private let open = Mutex<[UUID: AsyncStream<String>.Continuation]>([:])

    var count: Int { open.withLock { $0.count } }

    /// Registers a connection; the stream yields a reason when the node wants it closed.
    func register() -> (id: UUID, closeRequests: AsyncStream<String>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<String>.makeStream()
        open.withLock { $0[id] = continuation }
        return (id, stream)
    }

    func unregister(_ id: UUID) {
        open.withLock { $0.removeValue(forKey: id) }?.finish()
    }

    /// Asks every open connection to close with `reason`.
    func closeAll(reason: String) {
        for continuation in open.withLock({ Array($0.values) }) {
            continuation.yield(reason)
            continuation.finish()
        }
    }
}
