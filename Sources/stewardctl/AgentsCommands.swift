import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct AgentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Agents: one-time enrollment tokens, the registry, tags, commands, revocation.",
        discussion: """
            An agent enrolls with a one-time token (single use, short-lived, stored hashed) and the CA pin that comes \
            with it; it gets a client certificate signed by the cluster CA, its private key never leaving its host. \
            Each enrolled agent holds an agent seat until revoked (docs/licenses.md). Tokens and revocation need the operator role.
            """,
        subcommands: [AgentsEnrollToken.self, AgentsList.self, AgentsGet.self, AgentsTag.self, AgentsExec.self, AgentsCommandShow.self,
                      AgentsCommandCancel.self, AgentsRevoke.self])
}

enum AgentText {
    static func table(_ agents: [AgentInfo]) -> String {
        if agents.isEmpty { return "no agents" }
        return Table.render(["ID", "NAME", "HOST", "STATE", "NODE", "VERSION", "TAGS", "ENROLLED"], agents.map {
            [$0.id.uuidString.lowercased(), $0.name, $0.hostname, $0.state, $0.connectedNode ?? "-", $0.agentVersion, $0.tags.joined(separator: ","),
             ISO8601DateFormatter().string(from: $0.enrolledAt)]
        })
    }

    static func details(_ agent: AgentInfo) -> String {
        let date = { (date: Date?) in date.map { ISO8601DateFormatter().string(from: $0) } ?? "-" }
        return Table.pairs([
            ("id", agent.id.uuidString.lowercased()), ("name", agent.name), ("host", agent.hostname),
            ("platform", "\(agent.os) \(agent.architecture)"), ("version", agent.agentVersion), ("tags", agent.tags.joined(separator: ",")),
            ("state", agent.state), ("connected to", agent.connectedNode ?? "-"), ("last seen", date(agent.lastSeen)), ("certificate", "\(agent.certificateSerial), until \(date(agent.certificateExpiresAt))"),
            ("enrolled", "\(date(agent.enrolledAt)) by \(agent.enrolledBy)"), ("revoked", date(agent.revokedAt)),
        ])
    }
}

struct AgentsEnrollToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll-token", abstract: "One-time enrollment tokens.", subcommands: [AgentsEnrollTokenCreate.self])
}

struct AgentsEnrollTokenCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a one-time enrollment token; it is shown once, with the CA pin to give the agent.")
    @Option(help: "How long it can be used: 90s, 30m, 1h, 7d (at most 7 days).") var ttl = "1h"
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard let seconds = Self.seconds(ttl) else { throw Failure("--ttl: a number with s, m, h or d (e.g. 1h)") }
            let token = try await callServer(try connection.client()) { try await $0.createEnrollmentToken(ttlSeconds: seconds) }
            try output.show(token) {
                "enrollment token (single use, until \(ISO8601DateFormatter().string(from: $0.expiresAt))):\n\($0.token)\nCA pin: \($0.caPin)"
            }
        }
    }

    static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number > 0 else { return Int(text) }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3600
        case "d": return number * 86400
        default: return nil
        }
    }
}

struct AgentsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The enrolled agents (revoked ones too: agents never vanish).")
    @Option(help: "Only agents with this tag.") var tag: String?
    @Option(help: "Only agents in this state: online, offline or revoked.") var state: String?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try output.show(try await callServer(try connection.client()) { try await $0.agents(tag: tag, state: state) }, AgentText.table)
        }
    }
}

struct AgentsGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "One agent.")
    @Argument(help: "The agent's id.") var id: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard let uuid = UUID(uuidString: id) else { throw Failure("an agent id is a UUID") }
            try output.show(try await callServer(try connection.client()) { try await $0.agent(uuid) }, AgentText.details)
        }
    }
}

struct AgentsRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke an agent: its certificate is refused from then on and its seat is freed.")
    @Argument(help: "The agent's id.") var id: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard let uuid = UUID(uuidString: id) else { throw Failure("an agent id is a UUID") }
            let agent = try await callServer(try connection.client()) { try await $0.revokeAgent(uuid) }
            try output.show(agent) { "agent \($0.name) (\($0.id.uuidString.lowercased())) revoked" }
        }
    }
}
