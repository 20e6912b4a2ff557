import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing
import X509

/// Real agent processes against real nodes that die: agents move, commands survive, lists stay right.
@Suite("Agents fail over between nodes; commands run exactly once whatever dies")
struct AgentFailoverTests {
    /// Nodes ping agents every second here, so a silent agent is found within seconds.
    static let quickPings: [String: String?] = ["server.websocket.ping.interval": "1s"]

    @Test("20 agents over three nodes: the node holding most is SIGKILLed, its agents are back on the others within 10 s, and every node lists all 20 online")
    func agentsFailOver() async throws {
        try await TestCluster.with { cluster in
            let nodes = try await [cluster.start("node-a", extra: Self.quickPings), cluster.start("node-b", extra: Self.quickPings),
                                   cluster.start("node-c", extra: Self.quickPings)]
            let admins = try await nodes.asyncMap { try await cluster.adminClient($0) }
            // The trial allows 10 agents.
            _ = try await admins[0].addLicense(try TestIssuer(trustedBy: cluster).license("fleet", users: 10, agents: 50))
            try await AgentFleet.with(20, cluster: cluster, nodes: nodes, admin: admins[0]) { fleet in
                try await waitFor("20 agents online", timeout: .seconds(30)) {
                    try await admins[1].agents(fleet.ids).filter { $0.state == "online" }.count == 20
                }
                let placed = Dictionary(grouping: try await admins[0].agents(fleet.ids), by: { $0.connectedNode ?? "-" })
                let (victimName, moving) = try #require(placed.max { $0.value.count < $1.value.count })
                let victim = try #require(nodes.first { $0.name == victimName })
                let survivors = zip(nodes, admins).filter { $0.0.name != victimName }
                await victim.kill9()
                let killed = ContinuousClock.now
                try await waitFor("the \(moving.count) agents of \(victimName) on the other nodes", timeout: .seconds(20)) {
                    let listed = try await survivors[0].1.agents(fleet.ids)
                    return listed.allSatisfy { $0.state == "online" && $0.connectedNode != victimName && $0.connectedNode != nil }
                }
                let moved = ContinuousClock.now - killed
                #expect(moved < .seconds(10), "the agents took \(moved) to move")
                for (node, admin) in survivors {
                    let listed = try await admin.agents(fleet.ids)
                    #expect(listed.count == 20, "\(node.name) lists \(listed.count)")
                    #expect(listed.allSatisfy { $0.state == "online" }, "\(node.name): \(listed.map { "\($0.name) \($0.state)" })")
                    #expect(Set(listed.compactMap(\.connectedNode)).isSubset(of: Set(survivors.map(\.0.name))))
                }
                let status = try await fleet.agents.first { moving.map(\.id).contains($0.agentID) }!.status()
                #expect(status.contains("connected to:") && !status.contains(victimName), "\(status)")
            }
        }
    }

    @Test("a command through node A for an agent on node B runs there, and its output and exit code are read through node C")
    func acrossNodes() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a"), b = try await cluster.start("node-b"), c = try await cluster.start("node-c")
            let (viaA, viaC) = try await (cluster.adminClient(a), cluster.adminClient(c))
            // Only node B's address: the agent starts there.
            let agent = try await AgentProcess.start("web-1", in: cluster.folder, enrollThrough: b, admin: viaA,
                                                     servers: ["localhost:\(b.webSocketPort)"], properties: ["agent.use.node.list": "false"])
            try await withAsyncCleanup {
                try await waitFor("web-1 on node-b") { try await viaA.agent(agent.agentID).connectedNode == "node-b" }
                let command = try await viaA.runCommand(on: agent.agentID, .init(argv: ["/bin/sh", "-c", "echo hello from $(hostname); echo oops >&2; exit 3"]))
                #expect(command.state == "queued" || command.state == "sent")
                let finished: AgentCommandInfo
                do { finished = try await viaC.finishedCommand(command.id) } catch {
                    print("AGENT LOG\n\(agent.log)\nOUTPUT\n\((try? String(contentsOfFile: agent.folder + "/output.log", encoding: .utf8)) ?? "")\nNODE B\n\(b.output.suffix(3000))")
                    throw error
                }
                #expect(finished.state == "failed")
                #expect(finished.exitCode == 3)
                #expect(finished.startedAt != nil && finished.finishedAt != nil)
                let output = try await viaC.commandOutput(command.id)
                #expect(output.chunks.contains { $0.stream == "stdout" && $0.text.contains("hello from") })
                #expect(output.chunks.contains { $0.stream == "stderr" && $0.text.contains("oops") })
                #expect(try await viaC.agentCommands(agent.agentID).map(\.id) == [command.id])
                #expect(finished.deliveries == 1)
            } cleanup: {
                await agent.stop()
            }
        }
    }

    @Test("the node holding an agent dies after a command is stored and before it is delivered: it runs exactly once after the reconnect, and its result is stored")
    func nodeDiesBeforeDelivery() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a", extra: Self.quickPings), b = try await cluster.start("node-b", extra: Self.quickPings)
            let viaA = try await cluster.adminClient(a)
            let agent = try await AgentProcess.start("db-1", in: cluster.folder, enrollThrough: b, admin: viaA,
                                                     servers: ["localhost:\(b.webSocketPort)"])
            try await withAsyncCleanup {
                // Wait for a welcome that lists both nodes, so the agent knows where to go.
                try await waitFor("db-1 on node-b, knowing node-a") {
                    try await viaA.agent(agent.agentID).connectedNode == "node-b" && agent.log.contains("2 node(s) online")
                }
                // Frozen, node-b cannot deliver; killed, it never will.
                b.signal(SIGSTOP)
                let marker = cluster.folder.file("ran-once")
                let command = try await viaA.runCommand(on: agent.agentID, .init(argv: ["/bin/sh", "-c", "echo ran >> \(marker); echo done"]))
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await viaA.command(command.id).state == "queued", "nobody could have delivered it")
                await b.kill9()
                let finished = try await viaA.finishedCommand(command.id, timeout: .seconds(30))
                #expect(finished.state == "succeeded")
                #expect(try await viaA.outputText(command.id) == "done\n")
                #expect(try String(contentsOfFile: marker, encoding: .utf8) == "ran\n")
                #expect(try await viaA.agent(agent.agentID).connectedNode == "node-a")
            } cleanup: {
                await agent.stop()
            }
        }
    }

    @Test("the node dies while the command runs: the agent reports to the node it reconnects to, the program ran once, and re-delivery does not run it again")
    func nodeDiesDuringRun() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a", extra: Self.quickPings), b = try await cluster.start("node-b", extra: Self.quickPings)
            let viaA = try await cluster.adminClient(a)
            let agent = try await AgentProcess.start("db-2", in: cluster.folder, enrollThrough: b, admin: viaA,
                                                     servers: ["localhost:\(b.webSocketPort)"])
            try await withAsyncCleanup {
                try await waitFor("db-2 on node-b, knowing node-a") {
                    try await viaA.agent(agent.agentID).connectedNode == "node-b" && agent.log.contains("2 node(s) online")
                }
                let marker = cluster.folder.file("ran-once")
                let command = try await viaA.runCommand(on: agent.agentID, .init(argv: ["/bin/sh", "-c", "echo ran >> \(marker); sleep 2; echo done"]))
                try await waitFor("the command running") { try await viaA.command(command.id).state == "running" }
                await b.kill9()
                let finished = try await viaA.finishedCommand(command.id, timeout: .seconds(30))
                #expect(finished.state == "succeeded")
                #expect(finished.deliveries >= 2, "delivered again after the reconnect: \(finished.deliveries)")
                #expect(try await viaA.outputText(command.id) == "done\n")
                #expect(try String(contentsOfFile: marker, encoding: .utf8) == "ran\n", "the program ran once")
            } cleanup: {
                await agent.stop()
            }
        }
    }

    @Test("an agent SIGSTOPped is marked offline within the ping timeout; after SIGCONT it reconnects and runs commands again")
    func pausedAgent() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a", extra: Self.quickPings)
            let admin = try await cluster.adminClient(a)
            let agent = try await AgentProcess.start("paused", in: cluster.folder, enrollThrough: a, admin: admin)
            try await withAsyncCleanup {
                try await waitFor("the agent online") { try await admin.agent(agent.agentID).state == "online" }
                agent.signal(SIGSTOP)
                let stopped = ContinuousClock.now
                // A ping unanswered for a whole interval (1 to 2 s), then the TLS close's wait (1 s).
                try await waitFor("the agent offline", timeout: .seconds(10)) { try await admin.agent(agent.agentID).state == "offline" }
                let detected = ContinuousClock.now - stopped
                #expect(detected < .seconds(5), "offline after \(detected)")
                let command = try await admin.runCommand(on: agent.agentID, .init(argv: ["/bin/echo", "back"]))
                #expect(try await admin.command(command.id).state == "queued", "an offline agent's command waits")
                agent.signal(SIGCONT)
                try await waitFor("the agent online again") { try await admin.agent(agent.agentID).state == "online" }
                #expect(try await admin.finishedCommand(command.id).state == "succeeded")
                #expect(try await admin.outputText(command.id) == "back\n")
            } cleanup: {
                await agent.stop()
            }
        }
    }
}

extension AgentFailoverTests {
    @Test("an agent renews its certificate over the channel before it ends; it connects with the new one after a restart, and then its old one is refused")
    func renewal() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            // Certificates last 90 days: renewing when less than 100 are left renews at once.
            let old = (certificate: cluster.folder.file("old.crt"), key: cluster.folder.file("old.key"))
            var agent = try await AgentProcess.start("renewing", in: cluster.folder, enrollThrough: node, admin: admin,
                                                     properties: ["agent.certificate.renew.before": "2400h"]) { state in
                try FileManager.default.copyItem(atPath: state + "/agent.crt", toPath: old.certificate)
                try FileManager.default.copyItem(atPath: state + "/agent.key", toPath: old.key)
            }
            let oldCertificate = try String(contentsOfFile: old.certificate, encoding: .utf8)
            let enrolled = try Certificate(pemEncoded: oldCertificate).serialNumber.description
            try await withAsyncCleanup {
                try await waitFor("the renewal") { agent.log.contains("certificate renewed") }
                let renewed = try await admin.agent(agent.agentID)
                #expect(renewed.certificateSerial != enrolled)
                #expect(try String(contentsOfFile: agent.folder + "/state/agent.crt", encoding: .utf8) != oldCertificate)
                #expect(try await admin.audit(action: "agent.renew").contains { $0.target == agent.agentID.uuidString.lowercased() })
                await agent.stop()
                // Restarted without the renewal setting, so it does not renew again.
                try String(contentsOfFile: agent.folder + "/agent.properties", encoding: .utf8)
                    .replacingOccurrences(of: "agent.certificate.renew.before=2400h", with: "")
                    .write(toFile: agent.folder + "/agent.properties", atomically: true, encoding: .utf8)
                agent = try agent.restarted()
                try await waitFor("the agent back with its new certificate") { try await admin.agent(agent.agentID).state == "online" }
                let identity = try Self.identity(agentID: agent.agentID, certificate: oldCertificate,
                                                 key: String(contentsOfFile: old.key, encoding: .utf8), ca: agent.folder)
                let refused = try await WebSocketProbe.exchange(url: node.webSocketURL + "/ws/agent", identity: identity, send: [identity.hello],
                                                                expecting: 1)
                #expect(refused.first?.contains(#""code":"replaced-certificate""#) == true, "the certificate it renewed from still works: \(refused)")
                try await waitFor("the refusal in the log") { node.output.contains("presented a certificate that is no longer its own") }
            } cleanup: {
                await agent.stop()
            }
        }
    }

    static func identity(agentID: UUID, certificate: String, key: String, ca folder: String) throws -> TestAgentIdentity {
        TestAgentIdentity(agentID: agentID, certificatePEM: certificate, keyPEM: key,
                          caPEM: try String(contentsOfFile: folder + "/state/ca.pem", encoding: .utf8))
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var mapped: [T] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}
