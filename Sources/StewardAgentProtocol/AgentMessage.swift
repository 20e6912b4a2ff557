import Foundation

/// Every message on the agent channel, either way, as one `Codable` enum. On the wire each is an
/// envelope `{"v": 1, "type": "<case>", "body": {...}}` (see `Envelope`): the type names the case.
///
/// The exchange (docs/agents.md, "Wire protocol"): after the TLS handshake with both certificates,
/// the agent sends `hello`; the node answers `welcome`, then `command`s. The agent answers each
/// command with `started`, `output` chunks and a `result`; the node stores the result and sends
/// `ack`, after which the agent forgets its copy. `cancel` asks for a running command to stop;
/// `reconnect` asks the agent to go to another node; `error` answers what a side cannot accept.
public enum AgentMessage: Sendable, Equatable {
    case hello(AgentHello)
    case welcome(Welcome)
    case command(CommandDelivery)
    case started(CommandStarted)
    case output(CommandOutputChunk)
    case result(CommandResult)
    case ack(CommandAck)
    case cancel(CommandCancel)
    case reconnect(Reconnect)
    case renew(CertificateRenewal)
    case renewed(CertificateRenewed)
    case error(ProtocolError)

    public var type: String {
        switch self {
        case .hello: "hello"
        case .welcome: "welcome"
        case .command: "command"
        case .started: "started"
        case .output: "output"
        case .result: "result"
        case .ack: "ack"
        case .cancel: "cancel"
        case .reconnect: "reconnect"
        case .renew: "renew"
        case .renewed: "renewed"
        case .error: ProtocolError.type
        }
    }

    /// Why a text could not be read as a message, in words the peer is sent back.
    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case malformed
        case version(Int)
        case unknownType(String)
        case badBody(String, String)

        public var code: String {
            switch self {
            case .malformed: "malformed"
            case .version: "version"
            case .unknownType: "unknown-type"
            case .badBody: "bad-body"
            }
        }

        /// An unknown type is answered and the connection kept (a newer peer may send it); the rest close it.
        public var fatal: Bool { if case .unknownType = self { false } else { true } }

        public var description: String {
            switch self {
            case .malformed: "not a JSON envelope {\"v\":…,\"type\":…,\"body\":…}"
            case .version(let v): "protocol version \(v) is not supported; this side speaks \(AgentProtocol.version)"
            case .unknownType(let type): "message type '\(type.prefix(64))' is not known here"
            case .badBody(let type, let why): "the body of a '\(type)' message cannot be read: \(why.prefix(200))"
            }
        }

        public var protocolError: ProtocolError { ProtocolError(code: code, message: description, fatal: fatal) }
    }

    public func encoded() throws -> String {
        switch self {
        case .hello(let body): try EnvelopeCoding.encode(type, body)
        case .welcome(let body): try EnvelopeCoding.encode(type, body)
        case .command(let body): try EnvelopeCoding.encode(type, body)
        case .started(let body): try EnvelopeCoding.encode(type, body)
        case .output(let body): try EnvelopeCoding.encode(type, body)
        case .result(let body): try EnvelopeCoding.encode(type, body)
        case .ack(let body): try EnvelopeCoding.encode(type, body)
        case .cancel(let body): try EnvelopeCoding.encode(type, body)
        case .reconnect(let body): try EnvelopeCoding.encode(type, body)
        case .renew(let body): try EnvelopeCoding.encode(type, body)
        case .renewed(let body): try EnvelopeCoding.encode(type, body)
        case .error(let body): try EnvelopeCoding.encode(type, body)
        }
    }

    public static func decode(_ text: String) throws(ReadError) -> AgentMessage {
        guard let header = try? EnvelopeCoding.header(text) else { throw .malformed }
        guard header.v == AgentProtocol.version else { throw .version(header.v) }
        func body<B: Codable & Sendable>(_ kind: B.Type) throws(ReadError) -> B {
            do {
                return try EnvelopeCoding.decode(text, as: B.self).body
            } catch {
                throw .badBody(header.type, "\(error)")
            }
        }
        switch header.type {
        case "hello": return .hello(try body(AgentHello.self))
        case "welcome": return .welcome(try body(Welcome.self))
        case "command": return .command(try body(CommandDelivery.self))
        case "started": return .started(try body(CommandStarted.self))
        case "output": return .output(try body(CommandOutputChunk.self))
        case "result": return .result(try body(CommandResult.self))
        case "ack": return .ack(try body(CommandAck.self))
        case "cancel": return .cancel(try body(CommandCancel.self))
        case "reconnect": return .reconnect(try body(Reconnect.self))
        case "renew": return .renew(try body(CertificateRenewal.self))
        case "renewed": return .renewed(try body(CertificateRenewed.self))
        case ProtocolError.type: return .error(try body(ProtocolError.self))
        default: throw .unknownType(header.type)
        }
    }
}

/// The agent's first message: who it is (the node checks this against its certificate), what it
/// runs, and the commands it still holds results for.
public struct AgentHello: Codable, Sendable, Equatable {
    public var agentID: UUID
    public var agentVersion: String
    /// The last command whose result the node acknowledged.
    public var lastAcknowledged: UUID?

    public init(agentID: UUID, agentVersion: String, lastAcknowledged: UUID? = nil) {
        self.agentID = agentID
        self.agentVersion = agentVersion
        self.lastAcknowledged = lastAcknowledged
    }
}

/// A node the agent may connect to.
public struct NodeEndpoint: Codable, Sendable, Equatable, Hashable {
    public var name: String
    /// `wss://host:port/ws/agent`.
    public var url: String

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }
}

/// The node's answer to a hello, once the agent is authenticated.
public struct Welcome: Codable, Sendable, Equatable {
    public var nodeID: UUID
    public var nodeName: String
    /// The nodes online now, this one included: where to go when this one goes away.
    public var nodes: [NodeEndpoint]
    /// How often each side pings; a peer silent for two of these is gone.
    public var heartbeatSeconds: Int

    public init(nodeID: UUID, nodeName: String, nodes: [NodeEndpoint], heartbeatSeconds: Int) {
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.nodes = nodes
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// A program to run. The environment holds values, secrets' included: secrets are resolved by the
/// node at delivery and travel only over the channel, never into the command's row.
public struct CommandDelivery: Codable, Sendable, Equatable {
    public var commandID: UUID
    public var argv: [String]
    public var environment: [String: String]
    /// The values the agent masks in the output it sends back.
    public var secretNames: [String]
    public var workingDirectory: String?
    public var timeoutSeconds: Int

    public init(commandID: UUID, argv: [String], environment: [String: String], secretNames: [String] = [],
                workingDirectory: String?, timeoutSeconds: Int) {
        self.commandID = commandID
        self.argv = argv
        self.environment = environment
        self.secretNames = secretNames
        self.workingDirectory = workingDirectory
        self.timeoutSeconds = timeoutSeconds
    }
}

public struct CommandStarted: Codable, Sendable, Equatable {
    public var commandID: UUID
    public var startedAt: Date
    public init(commandID: UUID, startedAt: Date) {
        self.commandID = commandID
        self.startedAt = startedAt
    }
}

public struct CommandOutputChunk: Codable, Sendable, Equatable {
    public var commandID: UUID
    /// From 1, per command: a chunk sent twice (after a reconnect) is stored once.
    public var sequence: Int
    /// `stdout` or `stderr`.
    public var stream: String
    public var text: String

    public init(commandID: UUID, sequence: Int, stream: String, text: String) {
        self.commandID = commandID
        self.sequence = sequence
        self.stream = stream
        self.text = text
    }
}

/// How a command ended on the agent.
public struct CommandResult: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// The program ran to its end (`exitCode` says how it went).
        case exited
        /// Killed at its timeout, or cancelled.
        case timedOut = "timed-out"
        case cancelled
        /// Not run: the agent refuses it (its allow list), or the program could not be started.
        case refused
        /// The agent stopped while it ran; whether it finished is not known.
        case interrupted
    }

    public var commandID: UUID
    public var outcome: Outcome
    public var exitCode: Int?
    public var startedAt: Date?
    public var finishedAt: Date
    public var message: String?
    /// How many output chunks were sent: the node has them all once it holds this many.
    public var chunks: Int

    public init(commandID: UUID, outcome: Outcome, exitCode: Int?, startedAt: Date?, finishedAt: Date, message: String?, chunks: Int) {
        self.commandID = commandID
        self.outcome = outcome
        self.exitCode = exitCode
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.message = message
        self.chunks = chunks
    }
}

/// The node has stored the result: the agent may forget its copy (never the command's id).
public struct CommandAck: Codable, Sendable, Equatable {
    public var commandID: UUID
    public init(commandID: UUID) { self.commandID = commandID }
}

public struct CommandCancel: Codable, Sendable, Equatable {
    public var commandID: UUID
    public init(commandID: UUID) { self.commandID = commandID }
}

/// Go to another node, after waiting `afterMilliseconds` (spread so that the agents of a draining
/// node do not all arrive at once).
public struct Reconnect: Codable, Sendable, Equatable {
    public var reason: String
    public var afterMilliseconds: Int
    public init(reason: String, afterMilliseconds: Int) {
        self.reason = reason
        self.afterMilliseconds = afterMilliseconds
    }
}

/// A certificate request for a new key, before the agent's certificate expires. The node answers
/// `renewed`; until the agent connects with the new certificate, the one it renewed with still works.
public struct CertificateRenewal: Codable, Sendable, Equatable {
    public var csr: String
    public init(csr: String) { self.csr = csr }
}

public struct CertificateRenewed: Codable, Sendable, Equatable {
    public var certificatePEM: String
    public init(certificatePEM: String) { self.certificatePEM = certificatePEM }
}
