import ArgumentParser
import Crypto
import Foundation
import HummingbirdWSClient
import Logging
import NIOSSL
import StewardAgentProtocol
import StewardClient
import StewardLicense
import StewardModel
import StewardTesting
import Synchronization
import X509

/// Many agents on one node, simulated in this process with real TLS (their own client
/// certificates from the cluster CA) and real WebSockets: the connections a node holds and what
/// each costs it, the reconnect storm when that node is SIGKILLed, and command round trips across
/// nodes. The simulated agents speak the real protocol and back off like `steward-agent` (full
/// jitter, capped at 5 s); they answer commands at once instead of running a program.
struct AgentsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Agent connections held on one node, memory per connection, a reconnect storm after SIGKILL, command round trips.",
        discussion: "Needs a release build of the server (swift build -c release --product steward-server), and an open-file limit of twice --agents.")

    @Option(help: "Simulated agents, all connected to node A first.") var agents = 10_000
    @Option(help: "Command round trips to time (through node C, for agents on node B).") var commands = 300
    @Option(help: "The server binary (default: the release build).") var binary: String?
    @Option(help: "Seconds to keep node A's connections open after measuring its memory, to inspect the process (gdb, heaptrack).")
    var hold = 0

    func run() async throws {
        guard let server = binary ?? Binaries.release("steward-server") else {
            throw ValidationError("no release build: run `swift build -c release --product steward-server` first (or pass --binary)")
        }
        Self.raiseDescriptorLimit()
        try await TestCluster.with { cluster in
            let extra: [String: String?] = ["database.pool.size": "20", "server.websocket.max.connections": String(agents + 1000)]
            var nodes: [ServerProcess] = []
            for name in ["node-a", "node-b", "node-c"] { nodes.append(try await cluster.start(name, extra: extra, binary: server)) }
            let admin = try await cluster.adminClient(nodes[0])
            let issuer = LicenseSigningKey(comment: "benchmark")
            try FileManager.default.createDirectory(atPath: cluster.appData + "/conf/license-issuers", withIntermediateDirectories: true)
            try issuer.publicKey.text.write(toFile: cluster.appData + "/conf/license-issuers/bench.pub", atomically: true, encoding: .utf8)
            _ = try await admin.addLicense(try SignedLicense.issue(License(
                id: "bench", licensee: "benchmark", userSeats: 10, agentSeats: agents, notBefore: Date().addingTimeInterval(-60),
                expiresAt: Date().addingTimeInterval(86400), graceDays: 0), with: issuer).text())
            print("agents benchmark: 3 nodes, \(agents) simulated agents (real TLS + WebSocket, own client certificates); server \(server)")

            let enrollStart = ContinuousClock.now
            let identities = try await Self.enroll(agents, through: nodes.map { cluster.client($0, token: admin.token) })
            print(String(format: "enrolled                %6d agents in %.1f s (%.0f/s, CSR checked and signed by the cluster CA)",
                         agents, (ContinuousClock.now - enrollStart).inSeconds, Double(agents) / (ContinuousClock.now - enrollStart).inSeconds))

            let fleet = SimulatedFleet(identities: identities)
            let before = ProcessTable.residentBytes(nodes[0].pid)
            let connectStart = ContinuousClock.now
            fleet.start(firstURL: nodes[0].webSocketURL + AgentProtocol.path)
            try await fleet.waitUntilWelcomed(agents, timeout: .seconds(600))
            let connectTime = (ContinuousClock.now - connectStart).inSeconds
            try await Task.sleep(for: .seconds(3))  // settled: buffers of the handshakes given back
            let held = try await admin.node("node-a").agentsConnected
            let after = ProcessTable.residentBytes(nodes[0].pid)
            let perConnection = Double(after - before) / Double(held)
            print(String(format: "connected to node A     %6d held (node A's own count) in %.1f s; node RSS %.0f MB → %.0f MB", held, connectTime,
                         Double(before) / 1e6, Double(after) / 1e6))
            print(String(format: "memory per connection   %6.1f KB (RSS delta / connections; target ≤ 30 KB)", perConnection / 1024))
            if hold > 0 {
                print("holding node A (pid \(nodes[0].pid)) with its connections for \(hold) s")
                try await Task.sleep(for: .seconds(hold))
            }

            // The storm: node A dies with every agent on it.
            let states = StateWatch(clients: [cluster.client(nodes[1], token: admin.token), cluster.client(nodes[2], token: admin.token)])
            let watching = Task { await states.watch() }
            let onA = fleet.welcomed(by: "node-a")
            fleet.resetWelcomes(of: "node-a")
            let killed = ContinuousClock.now
            await nodes[0].kill9()
            try await fleet.waitUntilWelcomed(agents, timeout: .seconds(300))
            let storm = (ContinuousClock.now - killed).inSeconds
            watching.cancel()
            let refusedWork = await states.notOnline
            let placed = try await admin.agentCounts(via: cluster.client(nodes[1], token: admin.token))
            print(String(format: "reconnect storm         %6d agents (all of node A's; %d were elsewhere already) back on nodes B and C in %.1f s after SIGKILL of A (target < 30 s)",
                         onA, agents - onA, storm))
            print("                        B holds \(placed["node-b"] ?? 0), C holds \(placed["node-c"] ?? 0); "
                  + (refusedWork.isEmpty ? "neither left online on the way" : "NOT ONLINE on the way: \(refusedWork.joined(separator: ", "))"))
            print("                        \(fleet.failedConnects) attempts failed (most closed before TLS, over a node's accept rate), "
                  + "\(fleet.refusedUpgrades) upgrades refused, all retried")

            // Round trips: stored through node C for agents held by node B.
            let viaC = cluster.client(nodes[2], token: admin.token)
            let onB = try await viaC.agents(tag: nil, state: "online").filter { $0.connectedNode == "node-b" }.map(\.id)
            var latencies: [Double] = []
            var unanswered: [String] = []
            for index in 0..<commands {
                let target = onB[index % onB.count]
                let started = ContinuousClock.now
                let command = try await viaC.runCommand(on: target, .init(argv: ["/bin/true"]))
                var finished = false
                while !finished, ContinuousClock.now - started < .seconds(10) {
                    finished = try await viaC.command(command.id).isFinished
                    if !finished { try await Task.sleep(for: .milliseconds(1)) }
                }
                if finished { latencies.append((ContinuousClock.now - started).inSeconds * 1000) } else { unanswered.append("\(command.id) for \(target)") }
            }
            latencies.sort()
            if !latencies.isEmpty {
                print(String(format: "command round trip      p50 %.1f ms, p99 %.1f ms (%d commands: POST through C, agent on B, result stored, read through C)",
                             latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 99 / 100)], latencies.count))
            }
            if !unanswered.isEmpty { print("                        NOT FINISHED within 10 s: \(unanswered.count): \(unanswered.prefix(5).joined(separator: ", "))") }
            print("                        \(fleet.abandonedAttempts) attempts given up unwelcomed after 30 s "
                  + "(\(fleet.abandonedAfterUpgrade) of them upgraded to WebSocket, the rest stuck in TCP, TLS or the upgrade)")
            fleet.stop()
            if !refusedWork.isEmpty || !unanswered.isEmpty { throw ExitCode(1) }
        }
    }

    static func raiseDescriptorLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// Enrolls agents through the nodes' API, 64 at a time; every agent shares one key (one CSR),
    /// each gets its own certificate and id.
    static func enroll(_ count: Int, through clients: [StewardClient]) async throws -> [TestAgentIdentity] {
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName("bench") }, privateKey: .init(key),
                                                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256).serializeAsPEM().pemString
        let next = Counter()
        return try await withThrowingTaskGroup(of: [TestAgentIdentity].self) { group in
            for worker in 0..<64 {
                group.addTask {
                    var made: [TestAgentIdentity] = []
                    while let index = next.take(below: count) {
                        let client = clients[(index + worker) % clients.count]
                        let token = try await client.createEnrollmentToken()
                        let enrollment = try await client.enroll(EnrollRequest(
                            token: token.token, csr: csr, name: "bench-\(index)", hostname: "bench-\(index).example.test", os: "linux",
                            architecture: "x86_64", agentVersion: "bench", tags: ["bench"]))
                        made.append(TestAgentIdentity(agentID: enrollment.agent.id, certificatePEM: enrollment.certificatePEM,
                                                      keyPEM: key.pemRepresentation, caPEM: enrollment.caCertificatePEM))
                    }
                    return made
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }
}

extension StewardClient {
    /// Online agents per node.
    func agentCounts(via client: StewardClient) async throws -> [String: Int] {
        Dictionary(grouping: try await client.agents(state: "online"), by: { $0.connectedNode ?? "-" }).mapValues(\.count)
    }
}

/// Polls the surviving nodes' states during the storm and remembers any that was not online.
actor StateWatch {
    let clients: [StewardClient]
    private(set) var notOnline: [String] = []

    init(clients: [StewardClient]) { self.clients = clients }

    func watch() async {
        while !Task.isCancelled {
            for client in clients {
                if let info = try? await client.clusterInfo(), let node = try? await client.node(info.nodeName), node.stateCode != .online {
                    notOnline.append("\(node.name) \(node.state)")
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}

/// The simulated agents: each a task with a real TLS WebSocket connection, reconnecting like `steward-agent`.
final class SimulatedFleet: Sendable {
    let identities: [TestAgentIdentity]
    /// The agents welcomed on a channel that is still open (since the last reset): an agent that
    /// moves on after a welcome is counted once, and again only when welcomed elsewhere.
    private let connected = Mutex<[UUID: String]>([:])  // agent → the node that welcomed it
    private let refused = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let abandoned = Atomic<Int>(0)
    private let abandonedUpgraded = Atomic<Int>(0)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(identities: [TestAgentIdentity]) { self.identities = identities }

    var refusedUpgrades: Int { refused.load(ordering: .relaxed) }
    var failedConnects: Int { failed.load(ordering: .relaxed) }
    var abandonedAttempts: Int { abandoned.load(ordering: .relaxed) }
    /// Of those, the attempts the node had upgraded (it had the hello, it owed a welcome).
    var abandonedAfterUpgrade: Int { abandonedUpgraded.load(ordering: .relaxed) }
    /// Forgets the welcomes of `node`'s agents: they count again once another node welcomes them.
    func resetWelcomes(of node: String) { connected.withLock { $0 = $0.filter { $0.value != node } } }
    /// The agents welcomed by `node` and still on it.
    func welcomed(by node: String) -> Int { connected.withLock { $0.values.count { $0 == node } } }

    func start(firstURL: String) {
        let logger = Logger(label: "bench.agent")
        for identity in identities {
            let task = Task { await self.live(identity, firstURL: firstURL, logger: logger) }
            tasks.withLock { $0.append(task) }
        }
    }

    func stop() { for task in tasks.withLock({ $0 }) { task.cancel() } }

    /// Waits until `count` agents are welcomed, printing how many are every 5 s (a storm's curve).
    func waitUntilWelcomed(_ count: Int, timeout: Duration) async throws {
        let start = ContinuousClock.now, deadline = start + timeout
        var nextReport = start + .seconds(5)
        while connected.withLock({ $0.count }) < count {
            let now = ContinuousClock.now
            guard now < deadline else {
                throw HarnessError("only \(connected.withLock { $0.count }) of \(count) agents welcomed within \(timeout)")
            }
            if now >= nextReport {
                print(String(format: "                        %5.0f s: %6d welcomed, %6d attempts failed, %5d given up", (now - start).inSeconds,
                             connected.withLock { $0.count }, failedConnects, abandonedAttempts))
                nextReport += .seconds(5)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func live(_ identity: TestAgentIdentity, firstURL: String, logger: Logger) async {
        guard let tls = try? identity.tls else { return }
        let nodes = Shared<[String]>([])
        var current = firstURL
        var attempt = 0
        var settings = WebSocketClientConfiguration()
        settings.maxFrameSize = 64 * 1024
        settings.autoPing = .enabled(timePeriod: .seconds(10))
        while !Task.isCancelled {
            let wasWelcomed = Shared(false), wasUpgraded = Shared(false)
            // Like steward-agent: an attempt not welcomed within 30 s is given up (the client library has no deadline of its own).
            let url = current, configuration = settings
            let attemptTask = Task {
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) { inbound, outbound, _ in
                    wasUpgraded.value.withLock { $0 = true }
                    try await outbound.writeTextMessage(try AgentMessage.hello(.init(agentID: identity.agentID, agentVersion: "bench")).encoded())
                    for try await message in inbound.messages(maxSize: 64 * 1024) {
                        guard case .text(let text) = message, let decoded = try? AgentMessage.decode(text) else { continue }
                        switch decoded {
                        case .welcome(let welcome):
                            nodes.value.withLock { $0 = welcome.nodes.map(\.url) }
                            wasWelcomed.value.withLock { $0 = true }
                            self.connected.withLock { $0[identity.agentID] = welcome.nodeName }
                        case .command(let command):
                            let now = Date()
                            try await outbound.writeTextMessage(try AgentMessage.result(.init(
                                commandID: command.commandID, outcome: .exited, exitCode: 0, startedAt: now, finishedAt: now, message: nil,
                                chunks: 0)).encoded())
                        default:
                            break
                        }
                    }
                }
            }
            let watchdog = Task {
                try await Task.sleep(for: .seconds(30))
                if !wasWelcomed.value.withLock({ $0 }) {
                    self.abandoned.add(1, ordering: .relaxed)
                    if wasUpgraded.value.withLock({ $0 }) { self.abandonedUpgraded.add(1, ordering: .relaxed) }
                    attemptTask.cancel()
                }
            }
            do {
                _ = try await withTaskCancellationHandler { try await attemptTask.value } onCancel: { attemptTask.cancel() }
                watchdog.cancel()
            } catch {
                watchdog.cancel()
                if "\(error)".contains("upgrade") { refused.add(1, ordering: .relaxed) } else { failed.add(1, ordering: .relaxed) }
            }
            _ = connected.withLock { $0.removeValue(forKey: identity.agentID) }
            if Task.isCancelled { return }
            attempt = wasWelcomed.value.withLock { $0 } ? 0 : attempt + 1
            let others = nodes.value.withLock { $0 }.filter { $0 != current }
            current = others.randomElement() ?? current
            let bound = min(5000, 250 * pow(2, Double(min(attempt, 16))))
            try? await Task.sleep(for: .milliseconds(Int64(Double.random(in: 0...bound))))
        }
    }
}

/// A value shared between an attempt's tasks.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
