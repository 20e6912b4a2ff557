import Foundation

/// `POST /api/v1/agents/{id}/commands`, or `POST /api/v1/commands` with `tag`: a program to run on
/// agents. `secretEnvironment` maps variable names to secret names (see `stewardctl secrets`): the
/// values are read by the node that delivers the command and never stored with it.
public struct AgentCommandRequest: Codable, Sendable {
    public var argv: [String]
    public var environment: [String: String]?
    public var secretEnvironment: [String: String]?
    public var workingDirectory: String?
    /// How long the program may run (1 s to 24 h; 10 minutes when not given).
    public var timeoutSeconds: Int?
    /// How long the command waits for an offline agent (10 s to 7 days; 1 hour when not given).
    public var expiresInSeconds: Int?
    /// With `POST /api/v1/commands`: every agent with this tag that is not revoked.
    public var tag: String?

    public init(argv: [String], environment: [String: String]? = nil, secretEnvironment: [String: String]? = nil,
                workingDirectory: String? = nil, timeoutSeconds: Int? = nil, expiresInSeconds: Int? = nil, tag: String? = nil) {
        self.argv = argv
        self.environment = environment
        self.secretEnvironment = secretEnvironment
        self.workingDirectory = workingDirectory
        self.timeoutSeconds = timeoutSeconds
        self.expiresInSeconds = expiresInSeconds
        self.tag = tag
    }
}

/// A command as the API shows it. `state`: queued (stored, waiting for its agent), sent, running,
/// then one of succeeded (exit 0), failed (another exit code), timed-out, cancelled, refused (by the
/// agent), interrupted (the agent stopped while it ran) or expired (its agent did not come back in time).
public struct AgentCommandInfo: Codable, Sendable, Equatable {
    public var id: UUID
    public var agentID: UUID
    public var argv: [String]
    public var environment: [String: String]
    /// Variable name to secret name; never the value.
    public var secretEnvironment: [String: String]
    public var workingDirectory: String?
    public var timeoutSeconds: Int
    public var state: String
    public var cancelRequested: Bool
    public var exitCode: Int?
    public var message: String?
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date
    public var sentAt: Date?
    /// How many times it was sent (more than once after a reconnect; it runs once).
    public var deliveries: Int
    public var startedAt: Date?
    public var finishedAt: Date?
    public var outputChunks: Int

    public var isFinished: Bool { Self.finishedStates.contains(state) }
    public static let finishedStates: Set<String> = ["succeeded", "failed", "timed-out", "cancelled", "refused", "interrupted", "expired"]

    public init(id: UUID, agentID: UUID, argv: [String], environment: [String: String], secretEnvironment: [String: String],
                workingDirectory: String?, timeoutSeconds: Int, state: String, cancelRequested: Bool, exitCode: Int?, message: String?,
                createdBy: String, createdAt: Date, expiresAt: Date, sentAt: Date?, deliveries: Int, startedAt: Date?, finishedAt: Date?,
                outputChunks: Int) {
        self.id = id
        self.agentID = agentID
        self.argv = argv
        self.environment = environment
        self.secretEnvironment = secretEnvironment
        self.workingDirectory = workingDirectory
        self.timeoutSeconds = timeoutSeconds
        self.state = state
        self.cancelRequested = cancelRequested
        self.exitCode = exitCode
        self.message = message
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.sentAt = sentAt
        self.deliveries = deliveries
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outputChunks = outputChunks
    }
}

/// `GET /api/v1/commands/{id}/output?after=N`: the chunks after sequence N, in order.
public struct AgentCommandOutput: Codable, Sendable, Equatable {
    public struct Chunk: Codable, Sendable, Equatable {
        public var sequence: Int
        public var stream: String
        public var text: String
        public init(sequence: Int, stream: String, text: String) {
            self.sequence = sequence
            self.stream = stream
            self.text = text
        }
    }

    public var command: AgentCommandInfo
    public var chunks: [Chunk]
    public init(command: AgentCommandInfo, chunks: [Chunk]) {
        self.command = command
        self.chunks = chunks
    }
}

/// `PUT /api/v1/agents/{id}/tags`.
public struct AgentTagsRequest: Codable, Sendable {
    public var tags: [String]
    public init(tags: [String]) { self.tags = tags }
}
