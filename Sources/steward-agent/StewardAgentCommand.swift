import ArgumentParser
import Foundation
import Logging
import StewardAgent
import StewardConfiguration

@main
struct StewardAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward-agent",
        abstract: "The Steward agent: runs on a managed host and takes commands from the cluster.",
        discussion: """
            Enroll once with a token from `stewardctl agents enroll-token create`, then run. The agent
            keeps one mutual-TLS WebSocket channel to a node, fails over to another when that node goes
            away, and runs each command it is sent exactly once (docs/agents.md).
            """,
        version: AgentRunner.version,
        subcommands: [Enroll.self, Run.self, Status.self],
        defaultSubcommand: Run.self)
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The agent's agent.properties.", valueName: "path"))
    var config: String = "/etc/steward-agent/agent.properties"

    func load() throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(path: config)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enroll this agent: make its key here, and get a certificate from the cluster CA.",
        discussion: "The private key never leaves this host. The token is sent only after the server has shown it holds the pinned CA.")

    @OptionGroup var options: ConfigOption
    @Option(help: ArgumentHelp("A node's (or the load balancer's) agent port.", valueName: "https://host:7919"))
    var server: String
    @Option(help: "The one-time enrollment token.")
    var token: String
    @Option(name: .customLong("ca-pin"), help: ArgumentHelp("The cluster CA's pin, shown with the token.", valueName: "sha256:…"))
    var caPin: String?
    @Option(name: .customLong("ca-file"), help: ArgumentHelp("Instead of a pin: the cluster's conf/cluster-ca.pem.", valueName: "path"))
    var caFile: String?
    @Option(help: "The agent's name (default: this host's name).")
    var name: String = ProcessInfo.processInfo.hostName
    @Option(name: .customLong("tag"), help: "A tag for the agent; repeat for more.")
    var tags: [String] = []

    func run() async throws {
        let configuration = try options.load()
        let enroller = AgentEnroller(server: server, token: token, caPin: caPin, caFile: caFile, name: name, tags: tags,
                                     folder: AgentStateFolder(path: configuration.stateDirectory))
        do {
            let identity = try await enroller.enroll()
            print("enrolled as \(identity.name) (\(identity.agentID.uuidString.lowercased())); state in \(configuration.stateDirectory)")
        } catch {
            printError("steward-agent enroll: \(error)")
            throw ExitCode(1)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Connect to the cluster and run commands until SIGTERM or SIGINT.")

    @OptionGroup var options: ConfigOption
    @Flag(name: .customLong("log-to-stderr"), help: "Also write the log to standard error.")
    var logToStandardError = false
    @Flag(help: "Log every message.")
    var debug = false

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        let configuration = try options.load()
        let runner: AgentRunner
        do {
            try AgentLogHandler.bootstrap(path: configuration.logFile, alsoStandardError: logToStandardError, level: debug ? .debug : .info)
            runner = try AgentRunner(configuration: configuration, logger: Logger(label: "steward.agent"))
        } catch {
            printError("steward-agent: \(error)")
            throw ExitCode(1)
        }
        let logger = Logger(label: "steward.agent")
        logger.notice("starting", metadata: ["version": "\(AgentRunner.version)", "pid": "\(getpid())"])
        let main = Task { await runner.run() }
        let signals = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { main.cancel() }
            source.resume()
            return source
        }
        await main.value
        withExtendedLifetime(signals) {}
        logger.notice("stopped")
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show whom this agent is enrolled as, where it is connected, and its last contact.")

    @OptionGroup var options: ConfigOption
    @Flag(help: "As JSON.")
    var json = false

    func run() async throws {
        let configuration = try options.load()
        let folder = AgentStateFolder(path: configuration.stateDirectory)
        guard let identity = try folder.identity() else {
            printError("not enrolled (no identity in \(configuration.stateDirectory)): run `steward-agent enroll`")
            throw ExitCode(1)
        }
        let status = try folder.status()
        let running = status.map { kill($0.pid, 0) == 0 } ?? false
        if json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Report: Encodable {
                let identity: AgentStateFolder.Identity
                let status: AgentStateFolder.Status?
                let running: Bool
            }
            print(String(decoding: try encoder.encode(Report(identity: identity, status: status, running: running)), as: UTF8.self))
            return
        }
        print("enrolled as:   \(identity.name) (\(identity.agentID.uuidString.lowercased())) since \(identity.enrolledAt.formatted(.iso8601))")
        guard running, let status else {
            print("running:       no")
            return
        }
        if let node = status.nodeName, let url = status.connectedTo {
            print("connected to:  \(node) (\(url))\(status.connectedSince.map { " since \($0.formatted(.iso8601))" } ?? "")")
        } else {
            print("connected to:  nothing now\(status.lastError.map { " (last error: \($0))" } ?? "")")
        }
        print("last contact:  \(status.lastContact.map { $0.formatted(.iso8601) } ?? "never")")
        if !running { throw ExitCode(3) }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
