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
}
