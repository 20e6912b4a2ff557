import Logging
import ServiceLifecycle
import StewardCluster

/// Sends the agents away when this node loses its work permit (draining, offline, fenced, upgrade
/// required): each is told why and asked to reconnect to another node.
struct AgentPermitWatcher: Service {
    let runtime: NodeRuntime
    /// Agents sent away reconnect over this window, not all in the same instant.
    static let spread: Duration = .seconds(5)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await update in runtime.membership.permitUpdates() {
                if case .revoked(let reason) = update, runtime.agents.count > 0 {
                    // The agents hear only that they must move; why is for this node's log.
                    runtime.logger.notice("asking \(runtime.agents.count) agent(s) to reconnect elsewhere: \(reason)")
                    runtime.agents.sendAllAway(reason: "this node is leaving service", window: Self.spread)
                }
            }
        }
    }
}
