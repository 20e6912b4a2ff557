import Foundation
import Logging
import PostgresNIO
import StewardModel

/// Commands for agents. A command is stored (`queued`) before anything is sent; the node holding the
/// agent's channel hears of it by NOTIFY on `channel` (payload: the agent id) and sends it (`sent`),
/// again after every reconnect until the result is stored. The agent runs each id once and keeps
/// its result until the node acknowledges it, so a command is delivered at least once and executed
/// exactly once.
public struct AgentCommandRepository: Sendable {
    public static let channel = "steward_agent_commands"
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    static let columns = """
        command_id, agent_id, argv, environment::text, secret_environment::text, working_directory, timeout_seconds,
        CASE WHEN state = 'queued' AND expires_at <= now() THEN 'expired' ELSE state END,
        cancel_requested, exit_code, message, created_by, created_at, expires_at, sent_at, deliveries, started_at, finished_at, output_chunks
        """

    static func decode(_ row: PostgresRow) throws -> AgentCommandInfo {
        let (id, agent, argv, environment, secrets, directory, timeout, state, cancel, exit, message, by, created, expires, sent, deliveries,
             started, finished, chunks) = try row.decode(
            (UUID, UUID, [String], String, String, String?, Int, String, Bool, Int?, String?, String, Date, Date, Date?, Int, Date?, Date?, Int).self)
        return AgentCommandInfo(
            id: id, agentID: agent, argv: argv, environment: try Self.map(environment), secretEnvironment: try Self.map(secrets),
            workingDirectory: directory, timeoutSeconds: timeout, state: state, cancelRequested: cancel, exitCode: exit, message: message,
            createdBy: by, createdAt: created, expiresAt: expires, sentAt: sent, deliveries: deliveries, startedAt: started,
            finishedAt: finished, outputChunks: chunks)
    }

    static func map(_ json: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
    }

    static func json(_ map: [String: String]) throws -> String {
        String(decoding: try JSONEncoder().encode(map), as: UTF8.self)
    }

    public struct NewCommand: Sendable {
        public var argv: [String]
        public var environment: [String: String]
        public var secretEnvironment: [String: String]
        public var workingDirectory: String?
        public var timeoutSeconds: Int
        public var expiresInSeconds: Int
        public var createdBy: String

        public init(argv: [String], environment: [String: String], secretEnvironment: [String: String], workingDirectory: String?,
                    timeoutSeconds: Int, expiresInSeconds: Int, createdBy: String) {
            self.argv = argv
            self.environment = environment
            self.secretEnvironment = secretEnvironment
            self.workingDirectory = workingDirectory
            self.timeoutSeconds = timeoutSeconds
            self.expiresInSeconds = expiresInSeconds
            self.createdBy = createdBy
        }
    }

    /// Stores one command per agent and tells the nodes (the NOTIFY goes out at COMMIT).
    public func create(_ command: NewCommand, for agents: [UUID], on runner: some QueryRunner) async throws -> [AgentCommandInfo] {
        var created: [AgentCommandInfo] = []
        let environment = try Self.json(command.environment), secrets = try Self.json(command.secretEnvironment)
        for agent in agents {
            let rows = try await runner.run("""
                INSERT INTO agent_commands (command_id, agent_id, argv, environment, secret_environment, working_directory,
                                            timeout_seconds, created_by, expires_at)
                VALUES (\(UUID()), \(agent), \(command.argv), \(environment)::jsonb, \(secrets)::jsonb, \(command.workingDirectory),
                        \(command.timeoutSeconds), \(command.createdBy), now() + make_interval(secs => \(command.expiresInSeconds)::int))
                RETURNING \(unescaped: Self.columns)
                """, logger: logger)
            guard let row = rows.first else { throw DatabaseError(.query, "the command was not stored") }
            created.append(try Self.decode(row))
            try await runner.run("SELECT pg_notify(\(Self.channel), \(agent.uuidString.lowercased()))", logger: logger)
        }
        return created
    }

    /// The commands to send to an agent now, marked sent. `reconnected`: also those sent before and
    /// not finished (the agent answers a command it ran already with its stored result). Only while
    /// this node incarnation holds the agent's channel: a channel left open here after the agent
    /// connected elsewhere (its socket not yet found dead) must not take the agent's commands.
    public func takeDeliverable(agentID: UUID, node: UUID, incarnation: Int64, reconnected: Bool,
                                on runner: some QueryRunner) async throws -> [AgentCommandInfo] {
        try await runner.run("""
            UPDATE agent_commands SET state = 'expired', finished_at = now()
            WHERE agent_id = \(agentID) AND state = 'queued' AND expires_at <= now()
            """, logger: logger)
        let states = reconnected ? ["queued", "sent", "running"] : ["queued"]
        return try await runner.run("""
            UPDATE agent_commands SET state = CASE WHEN state = 'queued' THEN 'sent' ELSE state END,
                                      sent_at = coalesce(sent_at, now()), deliveries = deliveries + 1
            WHERE command_id IN (SELECT command_id FROM agent_commands
                                 WHERE agent_id = \(agentID) AND state = ANY(\(states)) ORDER BY created_at LIMIT 100)
              AND EXISTS (SELECT 1 FROM agents WHERE agent_id = \(agentID) AND state = 'online'
                                                 AND connected_node = \(node) AND connected_incarnation = \(incarnation))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger).map(Self.decode).sorted { $0.createdAt < $1.createdAt }
    }

    /// Running commands of the agent whose cancellation was asked for.
    public func cancelsRequested(agentID: UUID, on runner: some QueryRunner) async throws -> [UUID] {
        try await runner.run("""
            SELECT command_id FROM agent_commands WHERE agent_id = \(agentID) AND cancel_requested AND state IN ('sent', 'running')
            """, logger: logger).map { try $0.decode(UUID.self) }
    }

    public func markStarted(_ commandID: UUID, agentID: UUID, at: Date, on runner: some QueryRunner) async throws {
        try await runner.run("""
            UPDATE agent_commands SET state = 'running', started_at = coalesce(started_at, \(at))
            WHERE command_id = \(commandID) AND agent_id = \(agentID) AND state IN ('queued', 'sent')
            """, logger: logger)
    }

    /// Stores a chunk once (a chunk sent again after a reconnect is ignored), for the agent's own commands only.
    public func appendOutput(_ commandID: UUID, agentID: UUID, sequence: Int, stream: String, text: String, on runner: some QueryRunner) async throws {
        try await runner.run("""
            INSERT INTO agent_command_output (command_id, sequence, stream, text)
            SELECT command_id, \(sequence), \(stream), \(text) FROM agent_commands WHERE command_id = \(commandID) AND agent_id = \(agentID)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    /// Stores how a command ended. True when the agent may forget it: stored now, or already
    /// (a result sent twice is stored once); false for a command that is not this agent's.
    public func finish(_ commandID: UUID, agentID: UUID, state: String, exitCode: Int?, startedAt: Date?, finishedAt: Date,
                       message: String?, chunks: Int, on runner: some QueryRunner) async throws -> Bool {
        try await !runner.run("""
            WITH finished AS (
                UPDATE agent_commands SET state = \(state), exit_code = \(exitCode), message = \(message),
                       started_at = coalesce(started_at, \(startedAt)), finished_at = \(finishedAt), output_chunks = \(chunks)
                WHERE command_id = \(commandID) AND agent_id = \(agentID) AND state IN ('queued', 'sent', 'running')
                RETURNING 1)
            SELECT 1 FROM finished
            UNION ALL SELECT 1 FROM agent_commands WHERE command_id = \(commandID) AND agent_id = \(agentID)
            """, logger: logger).isEmpty
    }

    public func find(_ commandID: UUID, on runner: some QueryRunner) async throws -> AgentCommandInfo? {
        try await runner.run("SELECT \(unescaped: Self.columns) FROM agent_commands WHERE command_id = \(commandID)", logger: logger)
            .first.map(Self.decode)
    }

    /// An agent's commands, newest first.
    public func list(agentID: UUID, limit: Int, on runner: some QueryRunner) async throws -> [AgentCommandInfo] {
        try await runner.run("""
            SELECT \(unescaped: Self.columns) FROM agent_commands WHERE agent_id = \(agentID) ORDER BY created_at DESC LIMIT \(limit)
            """, logger: logger).map(Self.decode)
    }

    public func output(_ commandID: UUID, after: Int, limit: Int, on runner: some QueryRunner) async throws -> [AgentCommandOutput.Chunk] {
        try await runner.run("""
            SELECT sequence, stream, text FROM agent_command_output
            WHERE command_id = \(commandID) AND sequence > \(after) ORDER BY sequence LIMIT \(limit)
            """, logger: logger).map { row in
            let (sequence, stream, text) = try row.decode((Int, String, String).self)
            return .init(sequence: sequence, stream: stream, text: text)
        }
    }

    /// Cancels a command: at once while it waits; else asks its agent (through the node holding it).
    public func cancel(_ commandID: UUID, on runner: some QueryRunner) async throws -> AgentCommandInfo? {
        guard let row = try await runner.run("""
            UPDATE agent_commands
            SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
                cancel_requested = state IN ('queued', 'sent', 'running')
            WHERE command_id = \(commandID)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger).first else { return nil }
        let command = try Self.decode(row)
        if !command.isFinished {
            try await runner.run("SELECT pg_notify(\(Self.channel), \(command.agentID.uuidString.lowercased()))", logger: logger)
        }
        return command
    }
}
