import Foundation
import StewardModel

extension StewardClient {
    public func createEnrollmentToken(ttlSeconds: Int? = nil) async throws -> EnrollmentToken {
        try await send(.POST, "/api/v1/agents/enrollment-tokens", body: EnrollmentTokenRequest(ttlSeconds: ttlSeconds), as: EnrollmentToken.self)
    }

    /// What a new agent calls, with its enrollment token (no login needed).
    public func enroll(_ request: EnrollRequest) async throws -> Enrollment {
        try await send(.POST, "/api/v1/agents/enroll", body: request, as: Enrollment.self)
    }

    public func agents(tag: String? = nil, state: String? = nil) async throws -> [AgentInfo] {
        var query: [String] = []
        if let tag { query.append("tag=\(Self.escape(tag))") }
        if let state { query.append("state=\(Self.escape(state))") }
        return try await get("/api/v1/agents" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")), as: [AgentInfo].self)
    }

    public func agent(_ id: UUID) async throws -> AgentInfo { try await get("/api/v1/agents/\(id.uuidString.lowercased())", as: AgentInfo.self) }

    /// Revokes an agent: its seat is freed, its certificate no longer accepted.
    public func revokeAgent(_ id: UUID) async throws -> AgentInfo {
        try await send(.DELETE, "/api/v1/agents/\(id.uuidString.lowercased())", as: AgentInfo.self)
    }

    public func setAgentTags(_ id: UUID, tags: [String]) async throws -> AgentInfo {
        try await send(.PUT, "/api/v1/agents/\(id.uuidString.lowercased())/tags", body: AgentTagsRequest(tags: tags), as: AgentInfo.self)
    }

    /// Stores a command for one agent; it runs when the agent is connected (now, or when it comes back before the expiry).
    public func runCommand(on agent: UUID, _ request: AgentCommandRequest) async throws -> AgentCommandInfo {
        try await send(.POST, "/api/v1/agents/\(agent.uuidString.lowercased())/commands", body: request, as: AgentCommandInfo.self)
    }

    /// Stores the command for every agent with `request.tag`.
    public func runCommandOnTag(_ request: AgentCommandRequest) async throws -> [AgentCommandInfo] {
        try await send(.POST, "/api/v1/commands", body: request, as: [AgentCommandInfo].self)
    }

    public func command(_ id: UUID) async throws -> AgentCommandInfo {
        try await get("/api/v1/commands/\(id.uuidString.lowercased())", as: AgentCommandInfo.self)
    }

    public func commandOutput(_ id: UUID, after: Int = 0) async throws -> AgentCommandOutput {
        try await get("/api/v1/commands/\(id.uuidString.lowercased())/output?after=\(after)", as: AgentCommandOutput.self)
    }

    public func cancelCommand(_ id: UUID) async throws -> AgentCommandInfo {
        try await send(.POST, "/api/v1/commands/\(id.uuidString.lowercased())/cancel", as: AgentCommandInfo.self)
    }

    public func agentCommands(_ agent: UUID, limit: Int = 50) async throws -> [AgentCommandInfo] {
        try await get("/api/v1/agents/\(agent.uuidString.lowercased())/commands?limit=\(limit)", as: [AgentCommandInfo].self)
    }
}
