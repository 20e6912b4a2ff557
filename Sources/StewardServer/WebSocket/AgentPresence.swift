import Foundation
import ServiceLifecycle
import StewardDatabase

/// Keeps `last_seen` of the agents connected here fresh, in one statement per interval. Whether an
/// agent is online does not depend on it: that follows the node holding its channel (see
/// `steward_agent_state`), so the agents of a node that dies show offline with it.
struct AgentPresence: Service {
    let runtime: NodeRuntime
    static let interval: Duration = .seconds(30)

    func run() async throws {
        let agents = AgentRepository(logger: runtime.logger), runtime = self.runtime
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.interval)
                let connected = runtime.agents.agentIDs
                guard !connected.isEmpty, !Task.isCancelled else { continue }
                do {
                    try await agents.touch(node: runtime.nodeID.uuid, incarnation: runtime.membership.incarnation.value, agents: connected,
                                           on: runtime.agentDatabase)
                } catch {
                    runtime.logger.debug("could not refresh the agents' last seen: \(error)")
                }
            }
        }
    }
}
