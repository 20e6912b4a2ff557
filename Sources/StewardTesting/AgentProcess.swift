import Foundation
import StewardClient
import StewardModel

/// A real `steward-agent` process for tests: its own folder with `agent.properties` and state,
/// enrolled with a fresh token through a node's agent port, then run until stopped.
public final class AgentProcess: Sendable {
    public let name: String
    public let folder: String
    public let agentID: UUID
    let configFile: String
    let process: ChildProcess

    public var pid: Int32 { process.pid }
    public var isRunning: Bool { process.isRunning }
    public var logFile: String { folder + "/state/agent.log" }
    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    init(name: String, folder: String, agentID: UUID, configFile: String, process: ChildProcess) {
        self.name = name
        self.folder = folder
        self.agentID = agentID
        self.configFile = configFile
        self.process = process
    }

    /// Enrolls and starts an agent. `servers`: the channel URLs it starts from (the node it enrolls
    /// through when empty); `properties`: more `agent.properties` lines.
    public static func start(_ name: String, in parent: TemporaryDirectory, enrollThrough node: ServerProcess, admin: StewardClient,
                             servers: [String] = [], tags: [String] = [], properties: [String: String] = [:],
                             beforeRunning: (_ stateFolder: String) throws -> Void = { _ in }) async throws -> AgentProcess {
        let folder = parent.file("agent-\(name)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var lines = ["agent.state.dir=state", "agent.reconnect.backoff.max=2s"]
        if !servers.isEmpty { lines.append("agent.servers=" + servers.joined(separator: ",")) }
        lines += properties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let configFile = folder + "/agent.properties"
        try (lines.joined(separator: "\n") + "\n").write(toFile: configFile, atomically: true, encoding: .utf8)
        let token = try await admin.createEnrollmentToken()
        var enroll = ["enroll", "--config", configFile, "--server", "https://localhost:\(node.webSocketPort)", "--token", token.token,
                      "--ca-pin", token.caPin, "--name", name]
        for tag in tags { enroll += ["--tag", tag] }
        let enrolled = try await Shell.run(try Binaries.path("steward-agent"), enroll, allowFailure: true)
        guard enrolled.status == 0 else { throw HarnessError("steward-agent enroll \(name) failed (\(enrolled.status)): \(enrolled.output)") }
        let identity = try JSONDecoder().decode(Identity.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/state/identity.json")))
        try beforeRunning(folder + "/state")
        let process = try ChildProcess(try Binaries.path("steward-agent"), ["run", "--config", configFile, "--debug"], outputFile: folder + "/output.log")
        Watchdog.shared.watch(pid: process.pid)
        return AgentProcess(name: name, folder: folder, agentID: identity.agentID, configFile: configFile, process: process)
    }

    struct Identity: Decodable {
        let agentID: UUID
    }

    /// Starts the same agent again (its state folder kept), after it was stopped or killed.
    public func restarted() throws -> AgentProcess {
        let process = try ChildProcess(try Binaries.path("steward-agent"), ["run", "--config", configFile, "--debug"], outputFile: folder + "/output.log")
        Watchdog.shared.watch(pid: process.pid)
        return AgentProcess(name: name, folder: folder, agentID: agentID, configFile: configFile, process: process)
    }

    public func signal(_ signal: Int32) { process.signal(signal) }

    public func stop() async {
        guard process.isRunning else { return Watchdog.shared.forget(pid: pid) }
        process.signal(SIGCONT)
        process.signal(SIGTERM)
        if (try? await process.wait(timeout: .seconds(10), group: true)) == nil {
            process.signal(SIGKILL)
            _ = try? await process.wait(timeout: .seconds(10), group: true)
        }
        Watchdog.shared.forget(pid: pid)
    }

    /// `steward-agent status --json`.
    public func status() async throws -> String {
        try await Shell.run(try Binaries.path("steward-agent"), ["status", "--config", configFile], allowFailure: true).output
    }
}
