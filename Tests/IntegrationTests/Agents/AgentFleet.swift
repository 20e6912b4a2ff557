import Foundation
import StewardClient
import StewardModel
import StewardTesting

/// Real `steward-agent` processes for a test, stopped with it.
final class AgentFleet: Sendable {
    let agents: [AgentProcess]

    init(_ agents: [AgentProcess]) { self.agents = agents }

    /// Enrolls and starts `count` agents named `prefix-1`…, each starting from all of `nodes`' agent ports.
    static func start(_ count: Int, prefix: String = "agent", cluster: TestCluster, nodes: [ServerProcess], admin: StewardClient,
                      tags: [String] = [], properties: [String: String] = [:]) async throws -> AgentFleet {
        let servers = properties["agent.servers"] == nil ? nodes.map { "localhost:\($0.webSocketPort)" } : []
        let started = try await withThrowingTaskGroup(of: AgentProcess.self) { group in
            for index in 1...count {
                group.addTask {
                    try await AgentProcess.start("\(prefix)-\(index)", in: cluster.folder, enrollThrough: nodes[index % nodes.count], admin: admin,
                                                 servers: servers, tags: tags, properties: properties)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        return AgentFleet(started.sorted { $0.name.localizedStandardCompare($1.name) == .orderedAscending })
    }

    var ids: Set<UUID> { Set(agents.map(\.agentID)) }

    func stop() async {
        await withTaskGroup(of: Void.self) { group in
            for agent in agents { group.addTask { await agent.stop() } }
        }
    }

    /// Runs `body` with the fleet, and stops every agent afterwards, whatever happened.
    static func with<T: Sendable>(_ count: Int, prefix: String = "agent", cluster: TestCluster, nodes: [ServerProcess], admin: StewardClient,
                                  tags: [String] = [], properties: [String: String] = [:],
                                  _ body: (AgentFleet) async throws -> T) async throws -> T {
        let fleet = try await start(count, prefix: prefix, cluster: cluster, nodes: nodes, admin: admin, tags: tags, properties: properties)
        return try await withAsyncCleanup {
            try await body(fleet)
        } cleanup: {
            await fleet.stop()
        }
    }
}

extension StewardClient {
    /// The agents of `ids` as this node lists them.
    func agents(_ ids: Set<UUID>) async throws -> [AgentInfo] {
        try await agents().filter { ids.contains($0.id) }
    }

    /// Waits until the command has ended, and returns it.
    func finishedCommand(_ id: UUID, timeout: Duration = .seconds(30)) async throws -> AgentCommandInfo {
        var last: AgentCommandInfo?
        try await waitFor("command \(id) to end (last: \(last?.state ?? "?"))", timeout: timeout) {
            last = try await command(id)
            return last?.isFinished == true
        }
        return try await command(id)
    }

    func outputText(_ id: UUID) async throws -> String {
        try await commandOutput(id).chunks.map(\.text).joined()
    }
}
