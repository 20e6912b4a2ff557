import Foundation
import Logging
import PostgresNIO
import StewardModel

/// Agents and their enrollment tokens. An agent row holds an agent seat unless revoked (a trigger
/// counts it at COMMIT, see migration 9): insert and revoke inside explicit transactions.
public struct AgentRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    /// What became of an enrollment token presented by an agent.
    public enum TokenUse: Sendable, Equatable {
        case accepted(createdBy: String)
        case unknown, alreadyUsed, expired
    }

    public func createEnrollmentToken(hash: [UInt8], by actor: String, ttlSeconds: Int, on runner: some QueryRunner) async throws -> Date {
        let rows = try await runner.run("""
            INSERT INTO agent_enrollment_tokens (token_id, token_hash, created_by, expires_at)
            VALUES (\(UUID()), \(Data(hash)), \(actor), now() + make_interval(secs => \(ttlSeconds)::int))
            RETURNING expires_at
            """, logger: logger)
        guard let expires = try rows.first?.decode(Date.self) else { throw DatabaseError(.query, "the enrollment token was not stored") }
        return expires
    }

    /// Marks the token used by `agentID`, if it is unused and unexpired; else says why not.
    public func useEnrollmentToken(hash: [UInt8], agentID: UUID, on runner: some QueryRunner) async throws -> TokenUse {
        if let row = try await runner.run("""
            UPDATE agent_enrollment_tokens SET used_at = now(), agent_id = \(agentID)
            WHERE token_hash = \(Data(hash)) AND used_at IS NULL AND expires_at > now()
            RETURNING created_by
            """, logger: logger).first {
            return .accepted(createdBy: try row.decode(String.self))
        }
        guard let row = try await runner.run("""
            SELECT used_at IS NOT NULL FROM agent_enrollment_tokens WHERE token_hash = \(Data(hash))
            """, logger: logger).first else { return .unknown }
        return try row.decode(Bool.self) ? .alreadyUsed : .expired
    }

    public struct NewAgent: Sendable {
        public var id: UUID
        public var request: EnrollRequest
        public var certificateSerial: String
        public var certificateExpiresAt: Date
        public var enrolledBy: String

        public init(id: UUID, request: EnrollRequest, certificateSerial: String, certificateExpiresAt: Date, enrolledBy: String) {
            self.id = id
            self.request = request
            self.certificateSerial = certificateSerial
            self.certificateExpiresAt = certificateExpiresAt
            self.enrolledBy = enrolledBy
        }
    }

    /// The state is the one the agent counts as now (see `steward_agent_state`), and the connected
    /// node is named only while the agent is online.
    static let columns = """
        agent_id, name, hostname, os, architecture, agent_version, tags, \
        steward_agent_state(state, connected_node, connected_incarnation), certificate_serial, certificate_expires_at, \
        last_seen, enrolled_at, enrolled_by, revoked_at, \
        CASE WHEN steward_agent_state(state, connected_node, connected_incarnation) = 'online' \
             THEN (SELECT n.name FROM nodes n WHERE n.node_id = connected_node) END
        """

    static func decode(_ row: PostgresRow) throws -> AgentInfo {
        let (id, name, hostname, os, architecture, version, tags, state, serial, expires, seen, enrolled, by, revoked, node) = try row.decode(
            (UUID, String, String, String, String, String, [String], String, String, Date, Date?, Date, String, Date?, String?).self)
        return AgentInfo(id: id, name: name, hostname: hostname, os: os, architecture: architecture, agentVersion: version, tags: tags,
                         state: state, certificateSerial: serial, certificateExpiresAt: expires, lastSeen: seen, enrolledAt: enrolled,
                         enrolledBy: by, revokedAt: revoked, connectedNode: node)
    }

    /// Stores a new agent; its seat is taken when the transaction commits.
    public func insert(_ agent: NewAgent, on runner: some QueryRunner) async throws -> AgentInfo {
        let request = agent.request
        let rows = try await runner.run("""
            INSERT INTO agents (agent_id, name, hostname, os, architecture, agent_version, tags, certificate_serial,
                                certificate_expires_at, enrolled_by)
            VALUES (\(agent.id), \(request.name), \(request.hostname), \(request.os), \(request.architecture), \(request.agentVersion),
                    \(request.tags ?? []), \(agent.certificateSerial), \(agent.certificateExpiresAt), \(agent.enrolledBy))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        guard let row = rows.first else { throw DatabaseError(.query, "the agent was not stored") }
        return try Self.decode(row)
    }

    /// Agents, oldest first; `tag` and `state` filter when given.
    public func list(tag: String?, state: String?, on runner: some QueryRunner) async throws -> [AgentInfo] {
        try await runner.run("""
            SELECT \(unescaped: Self.columns)
            FROM agents
            WHERE (\(tag)::text IS NULL OR tags @> ARRAY[\(tag)::text])
              AND (\(state)::text IS NULL OR steward_agent_state(state, connected_node, connected_incarnation) = \(state)::text)
            ORDER BY enrolled_at, agent_id
            """, logger: logger).map(Self.decode)
    }

    public func find(_ id: UUID, on runner: some QueryRunner) async throws -> AgentInfo? {
        try await runner.run("""
            SELECT \(unescaped: Self.columns)
            FROM agents WHERE agent_id = \(id)
            """, logger: logger).first.map(Self.decode)
    }

    /// Revokes an agent (its seat is freed at COMMIT); nil when there is none. Revoking twice changes nothing.
    public func revoke(_ id: UUID, on runner: some QueryRunner) async throws -> AgentInfo? {
        try await runner.run("""
            UPDATE agents SET state = 'revoked', revoked_at = coalesce(revoked_at, now()) WHERE agent_id = \(id)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger).first.map(Self.decode)
    }

    // MARK: presence on the channel

    /// What a node learns of an agent presenting a certificate: whether it may connect.
    public enum Admission: Sendable, Equatable {
        case admitted(name: String)
        case unknown, revoked
        /// A certificate of this agent, but not its current one (re-enrolled, or replaced at renewal).
        case replacedCertificate
    }

    public func admission(agentID: UUID, certificateSerial: String, on runner: some QueryRunner) async throws -> Admission {
        guard let row = try await runner.run("""
            SELECT name, state, certificate_serial, previous_certificate_serial FROM agents WHERE agent_id = \(agentID)
            """, logger: logger).first else { return .unknown }
        let (name, state, serial, previous) = try row.decode((String, String, String, String?).self)
        if state == "revoked" { return .revoked }
        return serial == certificateSerial || previous == certificateSerial ? .admitted(name: name) : .replacedCertificate
    }

    /// The agent's channel is held by this node incarnation now; false when it is revoked.
    /// Connecting with the current certificate retires the one it was renewed from.
    public func markOnline(_ agentID: UUID, node: UUID, incarnation: Int64, agentVersion: String, certificateSerial: String,
                           on runner: some QueryRunner) async throws -> Bool {
        try await !runner.run("""
            UPDATE agents SET state = 'online', connected_node = \(node), connected_incarnation = \(incarnation),
                              last_seen = now(), agent_version = \(agentVersion),
                              previous_certificate_serial = CASE WHEN certificate_serial = \(certificateSerial) THEN NULL
                                                                 ELSE previous_certificate_serial END
            WHERE agent_id = \(agentID) AND state <> 'revoked'
            RETURNING 1
            """, logger: logger).isEmpty
    }

    /// The channel closed; only if this node incarnation still holds it (the agent may be on another node already).
    public func markOffline(_ agentID: UUID, node: UUID, incarnation: Int64, on runner: some QueryRunner) async throws {
        _ = try await runner.run("""
            UPDATE agents SET state = 'offline', last_seen = now()
            WHERE agent_id = \(agentID) AND state = 'online' AND connected_node = \(node) AND connected_incarnation = \(incarnation)
            """, logger: logger)
    }

    /// Whether this node incarnation holds the agent's channel (false once the agent connected elsewhere).
    public func holds(_ agentID: UUID, node: UUID, incarnation: Int64, on runner: some QueryRunner) async throws -> Bool {
        try await !runner.run("""
            SELECT 1 FROM agents
            WHERE agent_id = \(agentID) AND state = 'online' AND connected_node = \(node) AND connected_incarnation = \(incarnation)
            """, logger: logger).isEmpty
    }

    /// Refreshes `last_seen` of the agents this node incarnation holds.
    public func touch(node: UUID, incarnation: Int64, agents: [UUID], on runner: some QueryRunner) async throws {
        guard !agents.isEmpty else { return }
        _ = try await runner.run("""
            UPDATE agents SET last_seen = now()
            WHERE agent_id = ANY(\(agents)) AND state = 'online' AND connected_node = \(node) AND connected_incarnation = \(incarnation)
            """, logger: logger)
    }

    /// Sets an agent's tags; nil when there is no such agent.
    public func setTags(_ agentID: UUID, tags: [String], on runner: some QueryRunner) async throws -> AgentInfo? {
        try await runner.run("""
            UPDATE agents SET tags = \(tags) WHERE agent_id = \(agentID)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger).first.map(Self.decode)
    }

    /// Records a renewed certificate; the one the agent renewed with (`presented`) stays valid until it uses the new one.
    public func renew(_ agentID: UUID, presented: String, serial: String, expiresAt: Date, on runner: some QueryRunner) async throws -> Bool {
        try await !runner.run("""
            UPDATE agents SET certificate_serial = \(serial), certificate_expires_at = \(expiresAt), previous_certificate_serial = \(presented)
            WHERE agent_id = \(agentID) AND state <> 'revoked' AND \(presented) IN (certificate_serial, previous_certificate_serial)
            RETURNING 1
            """, logger: logger).isEmpty
    }
}
