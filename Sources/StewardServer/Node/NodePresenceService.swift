import Logging
import ServiceLifecycle
import StewardDatabase

/// Keeps this node's row alive: `last_seen = now()` on database time every heartbeat interval.
/// A failed heartbeat is logged and retried on the next tick; the database being away for a
/// while must not stop the node.
struct NodePresenceService: Service {
    let runtime: NodeRuntime
    let interval: Duration

    func run() async throws {
        let nodes = NodeRepository(logger: runtime.logger)
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                do {
                    let client = runtime.database
                    let nodeID = runtime.nodeID
                    _ = try await withDeadline(interval, "heartbeat") { try await nodes.heartbeat(nodeID, on: client) }
                    if failing { runtime.logger.notice("heartbeat restored") }
                    failing = false
                } catch {
                    if !failing { runtime.logger.warning("heartbeat failed: \(error)") }
                    failing = true
                }
            }
        }
    }
}

/// Placed last in the service group, so it is the first to hear of a graceful shutdown:
/// the node stops reporting itself ready before its listeners begin to close.
struct ShutdownSentinel: Service {
    let runtime: NodeRuntime

    func run() async throws {
        try await gracefulShutdown()
        runtime.state = .stopping
        runtime.logger.notice("shutting down: finishing requests in flight")
    }
}
