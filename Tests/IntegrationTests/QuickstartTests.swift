import Foundation
import StewardAgentProtocol
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("The README's quickstart command")
struct QuickstartTests {
    @Test("Scripts/quickstart start brings up two nodes of one cluster, the console, and a local agent that runs commands; stop leaves nothing behind")
    func quickstart() async throws {
        let folder = try TemporaryDirectory(prefix: "steward-quickstart")
        defer { folder.remove() }
        chmod(folder.path, 0o755)  // the postgres user must reach its data folder
        let ports = try FreePorts.take(7)
        let environment = [
            // Out of the kernel's ephemeral range, where the default 55432 is: a busy test run's
            // outgoing connections could take it between the script's check and PostgreSQL's bind.
            "STEWARD_QUICKSTART_PG_PORT": String(ports[6]),
            "STEWARD_QUICKSTART_DIR": folder.file("state"),
            "STEWARD_QUICKSTART_PORTS": ports.prefix(6).map(String.init).joined(separator: " "),
            "STEWARD_BIN_DIR": Binaries.directory,
        ]
        let script = Binaries.packageRoot + "/Scripts/quickstart"
        let started = try await Shell.run(script, ["start"], environment: environment, allowFailure: true)
        do {
            #expect(started.status == 0, "\(started.output)")
            let trust = StewardClient.Trust.caFile(folder.file("state/ca.pem"))
            let adminPassword = try String(contentsOfFile: folder.file("state/admin.password"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let login = try await StewardClient(baseURL: "https://localhost:\(ports[1])", trust: trust)
                .loginForToken(username: "admin", password: adminPassword, tokenName: "quickstart test")
            let token = login.token?.secret
            var clusters: Set<ClusterID> = []
            var names: Set<String> = []
            for (http, https, ws) in [(ports[0], ports[1], ports[2]), (ports[3], ports[4], ports[5])] {
                #expect(try await StewardClient(baseURL: "http://127.0.0.1:\(http)").raw(.GET, "/health/ready").status == 200)
                let secure = try await StewardClient(baseURL: "https://localhost:\(https)", trust: trust, token: token).clusterInfo()
                clusters.insert(secure.clusterID)
                names.insert(secure.nodeName)
                let agent = try await TestAgentIdentity.enroll(admin: StewardClient(baseURL: "https://localhost:\(https)", trust: trust, token: token),
                                                               name: "quickstart-\(ws)")
                let welcome = try await WebSocketProbe.exchange(url: "wss://localhost:\(ws)\(AgentProtocol.path)", identity: agent,
                                                                send: [agent.hello], expecting: 1)
                #expect(welcome[0].contains(#""type":"welcome""#), "\(welcome)")
            }
            #expect(clusters.count == 1)
            #expect(names == ["node-1", "node-2"])
            let admin = StewardClient(baseURL: "https://localhost:\(ports[4])", trust: trust, token: token)
            try await waitFor("the quickstart's agent online") { try await admin.agents(tag: "local", state: "online").count == 1 }
            let local = try #require(try await admin.agents(tag: "local").first)
            #expect(local.name == "local-agent")
            let command = try await admin.runCommand(on: local.id, .init(argv: ["/bin/echo", "hello from the quickstart"]))
            #expect(try await admin.finishedCommand(command.id).state == "succeeded")
            #expect(try await admin.outputText(command.id) == "hello from the quickstart\n")
            #expect(started.output.contains("agent   local-agent"), "\(started.output)")
            // The console it prints answers with its login form.
            #expect(started.output.contains("console https://localhost:\(ports[1])/console/"), "\(started.output)")
            let form = try await StewardClient(baseURL: "https://localhost:\(ports[1])", trust: trust).raw(.GET, "/console/login")
            #expect(form.status == 200 && form.text.contains("<h1>Log in</h1>"), "\(form.status) \(form.text.prefix(300))")
        }
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: folder.file("state")))?
            .filter { $0.hasPrefix("node-") || $0 == "agent" }
            .compactMap { try? String(contentsOfFile: folder.file("state/\($0)/pid"), encoding: .utf8) }
            .compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? []
        let stopped = try await Shell.run(script, ["stop"], environment: environment, allowFailure: true)
        #expect(stopped.status == 0, "\(stopped.output)")
        #expect(pids.count == 3)
        for pid in pids { #expect(kill(pid, 0) != 0, "pid \(pid) is gone") }
        #expect(!FileManager.default.fileExists(atPath: folder.file("state")))
        #expect(!isListening(port: ports[0]))
        let again = try await Shell.run(script, ["stop"], environment: environment, allowFailure: true)
        #expect(again.status == 0, "stop is idempotent")
    }
}
