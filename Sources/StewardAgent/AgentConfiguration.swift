import Foundation
import StewardConfiguration

/// What one agent reads from its `agent.properties` (every key, with its default, is in
/// `agent.properties.sample`).
public struct AgentConfiguration: Sendable {
    /// Where to connect first: nodes' agent ports or a load balancer's, `wss://host:7919` or `host:7919`.
    public var servers: [String] = []
    /// Connect to the nodes each welcome lists (true), or always to `servers` (a load balancer).
    public var useNodeList = true
    /// The agent's key, certificate, CA, and its record of commands; 0700, files 0600.
    public var stateDirectory: String
    public var logFile: String
    public var commandsEnabled = true
    /// Absolute paths of the programs the agent runs; empty: any.
    public var allowedPrograms: [String] = []
    public var maxConcurrentCommands = 4
    /// The longest wait between two connection attempts (full jitter below it).
    public var backoffCap: Duration = .seconds(5)
    /// What one command's output may grow to on the agent; past it, the rest is dropped with a note.
    public var maxOutputBytes = 1 << 20
    /// Renew the certificate over the channel when less than this is left of it.
    public var renewBefore: Duration = .seconds(30 * 86400)

    public init(stateDirectory: String) {
        self.stateDirectory = stateDirectory
        logFile = stateDirectory + "/agent.log"
    }

    public static func load(path: String) throws(ConfigurationError) -> AgentConfiguration {
        let reader = PropertyReader(try PropertiesFile.load(path: path))
        let folder = reader.path("agent.state.dir") ?? reader.resolve("state")
        var configuration = AgentConfiguration(stateDirectory: folder)
        configuration.logFile = reader.path("agent.log.file") ?? folder + "/agent.log"
        configuration.servers = try list(reader, "agent.servers").map { server throws(ConfigurationError) in
            guard let url = Self.channelURL(server) else {
                throw reader.error("agent.servers", "'\(server)' is not wss://host:port or host:port")
            }
            return url
        }
        configuration.useNodeList = try reader.choice("agent.use.node.list", default: Flag.yes) == .yes
        configuration.commandsEnabled = try reader.choice("agent.commands.enabled", default: Flag.yes) == .yes
        configuration.allowedPrograms = try list(reader, "agent.commands.allowed")
        for program in configuration.allowedPrograms where !program.hasPrefix("/") {
            throw reader.error("agent.commands.allowed", "'\(program)' is not an absolute path")
        }
        configuration.maxConcurrentCommands = try reader.int("agent.commands.max.concurrent", default: 4, range: 1...256)
        configuration.backoffCap = try reader.duration("agent.reconnect.backoff.max", default: .seconds(5))
        configuration.renewBefore = try reader.duration("agent.certificate.renew.before", default: .seconds(30 * 86400))
        configuration.maxOutputBytes = try reader.int("agent.commands.max.output", default: 1 << 20, range: 1024...(64 << 20))
        return configuration
    }

    enum Flag: String, CaseIterable { case yes = "true", no = "false" }

    static func list(_ reader: PropertyReader, _ key: String) throws(ConfigurationError) -> [String] {
        (reader.string(key) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `host:port`, `wss://host:port` or `https://host:port` as the channel's URL.
    public static func channelURL(_ text: String) -> String? {
        var rest = text
        for scheme in ["wss://", "https://"] where rest.hasPrefix(scheme) { rest.removeFirst(scheme.count) }
        if let slash = rest.firstIndex(of: "/") { rest = String(rest[..<slash]) }
        guard !rest.isEmpty, !rest.contains("://"), rest.contains(":") else { return nil }
        return "wss://\(rest)/ws/agent"
    }

    /// The agent port's HTTPS base URL for a channel URL (enrollment and the CA).
    public static func httpsBase(_ channelURL: String) -> String {
        var rest = channelURL
        if rest.hasPrefix("wss://") { rest.removeFirst("wss://".count) }
        if let slash = rest.firstIndex(of: "/") { rest = String(rest[..<slash]) }
        return "https://" + rest
    }
}
