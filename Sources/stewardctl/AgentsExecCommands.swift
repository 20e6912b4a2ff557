import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct AgentsTag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Set an agent's tags (replacing the ones it has).")
    @Argument(help: "The agent's id.") var id: String
    @Argument(help: "The tags; none clears them.") var tags: [String] = []
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let agent = try await callServer(try connection.client()) { try await $0.setAgentTags(try AgentID.parse(id), tags: tags) }
            try output.show(agent, AgentText.details)
        }
    }
}

struct AgentsExec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a program on an agent, or on every agent with a tag.",
        discussion: """
            The command is stored first and delivered to the agent wherever it is connected, at least once; the agent \
            runs it exactly once. An offline agent runs it when it comes back, unless it expires first. With --follow, \
            the output is shown as it comes and the exit code becomes stewardctl's. Examples:
              stewardctl agents exec 6f1c…  -- /usr/bin/uptime
              stewardctl agents exec --tag web --follow -- /bin/systemctl restart nginx
              stewardctl agents exec 6f1c… --secret-env DB_PASSWORD=db.password -- /opt/app/migrate
            """)
    @Argument(help: "The agent's id (or use --tag).") var agent: String?
    @Option(help: "Run on every agent with this tag instead.") var tag: String?
    @Option(name: .customLong("env"), help: ArgumentHelp("An environment variable, NAME=VALUE; repeat for more.", valueName: "NAME=VALUE"))
    var environment: [String] = []
    @Option(name: .customLong("secret-env"),
            help: ArgumentHelp("A variable set from a secret, read by the node at delivery and never stored with the command.", valueName: "NAME=SECRET"))
    var secretEnvironment: [String] = []
    @Option(name: .customLong("cwd"), help: "The working directory (absolute).") var workingDirectory: String?
    @Option(help: "How long it may run: 30s, 10m, 2h (default 10m).") var timeout: String?
    @Option(help: "How long it waits for an offline agent: 10m, 1h, 7d (default 1h).") var expires: String?
    @Flag(help: "Show the output as it comes, and exit with the program's exit code (one agent only).") var follow = false
    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.") var argv: [String] = []
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard !argv.isEmpty else { throw Failure("give the program after --, e.g. `stewardctl agents exec ID -- /usr/bin/uptime`") }
            guard (agent == nil) != (tag == nil) else { throw Failure("give an agent id or --tag, one of them") }
            let request = AgentCommandRequest(
                argv: argv, environment: try Self.pairs(environment, "--env"), secretEnvironment: try Self.pairs(secretEnvironment, "--secret-env"),
                workingDirectory: workingDirectory, timeoutSeconds: try timeout.map { try Self.seconds($0, "--timeout") },
                expiresInSeconds: try expires.map { try Self.seconds($0, "--expires") }, tag: tag)
            let client = try connection.client()
            let commands: [AgentCommandInfo]
            if let agent {
                let id = try AgentID.parse(agent)
                commands = [try await callServer(client) { try await $0.runCommand(on: id, request) }]
            } else {
                commands = try await callServer(client) { try await $0.runCommandOnTag(request) }
            }
            guard follow else {
                try output.show(commands, CommandText.table)
                return
            }
            guard commands.count == 1 else { throw Failure("--follow follows one command; this made \(commands.count): see `stewardctl agents command ID`") }
            let finished = try await CommandText.follow(commands[0].id, client: client)
            if let code = finished.exitCode, finished.state == "succeeded" || finished.state == "failed" { throw ExitCode(Int32(truncatingIfNeeded: code)) }
            if finished.state != "succeeded" { throw Failure("command \(finished.state)\(finished.message.map { ": \($0)" } ?? "")") }
        }
    }

    static func pairs(_ items: [String], _ option: String) throws -> [String: String]? {
        guard !items.isEmpty else { return nil }
        var map: [String: String] = [:]
        for item in items {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else { throw Failure("\(option): NAME=VALUE, not '\(item)'") }
            map[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return map
    }

    static func seconds(_ text: String, _ option: String) throws -> Int {
        guard let seconds = AgentsEnrollTokenCreate.seconds(text) else { throw Failure("\(option): a number with s, m, h or d (e.g. 10m)") }
        return seconds
    }
}

struct AgentsCommandShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "command", abstract: "A command's state, exit code and output.")
    @Argument(help: "The command's id.") var id: String
    @Flag(help: "Follow its output until it ends.") var follow = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard let uuid = UUID(uuidString: id) else { throw Failure("a command id is a UUID") }
            let client = try connection.client()
            if follow {
                _ = try await CommandText.follow(uuid, client: client)
                return
            }
            let answer = try await callServer(client) { try await $0.commandOutput(uuid) }
            try output.show(answer) { answer in
                CommandText.details(answer.command) + "\n" + answer.chunks.map(\.text).joined()
            }
        }
    }
}

struct AgentsCommandCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a command: at once while it waits, else its agent stops the program.")
    @Argument(help: "The command's id.") var id: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard let uuid = UUID(uuidString: id) else { throw Failure("a command id is a UUID") }
            try output.show(try await callServer(try connection.client()) { try await $0.cancelCommand(uuid) }, CommandText.details)
        }
    }
}

enum AgentID {
    static func parse(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw Failure("an agent id is a UUID (see `stewardctl agents list`)") }
        return id
    }
}

enum CommandText {
    static func table(_ commands: [AgentCommandInfo]) -> String {
        Table.render(["COMMAND", "AGENT", "STATE", "PROGRAM"], commands.map {
            [$0.id.uuidString.lowercased(), $0.agentID.uuidString.lowercased(), $0.state, $0.argv[0]]
        })
    }

    static func details(_ command: AgentCommandInfo) -> String {
        let date = { (date: Date?) in date.map { ISO8601DateFormatter().string(from: $0) } ?? "-" }
        return Table.pairs([
            ("command", command.id.uuidString.lowercased()), ("agent", command.agentID.uuidString.lowercased()),
            ("argv", command.argv.joined(separator: " ")), ("state", command.state + (command.cancelRequested && !command.isFinished ? " (cancelling)" : "")),
            ("exit code", command.exitCode.map(String.init) ?? "-"), ("message", command.message ?? "-"),
            ("by", command.createdBy), ("created", date(command.createdAt)), ("started", date(command.startedAt)),
            ("finished", date(command.finishedAt)), ("deliveries", String(command.deliveries)),
        ])
    }

    /// Prints the output as it is stored, until the command ends; returns it as it ended.
    static func follow(_ id: UUID, client: StewardClient) async throws -> AgentCommandInfo {
        var after = 0
        while true {
            let answer = try await callServer(client) { try await $0.commandOutput(id, after: after) }
            for chunk in answer.chunks {
                let handle = chunk.stream == "stderr" ? FileHandle.standardError : FileHandle.standardOutput
                handle.write(Data(chunk.text.utf8))
                after = chunk.sequence
            }
            if answer.command.isFinished, after >= answer.command.outputChunks { return answer.command }
            if answer.chunks.isEmpty { try await Task.sleep(for: .milliseconds(250)) }
        }
    }
}
