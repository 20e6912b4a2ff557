import Crypto
import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// Commands as an operator uses them: secrets, waiting for offline agents, cancelling, the agent's
/// own limits, tags, revocation, and stewardctl.
@Suite("Agent commands: secrets, expiry, cancel, allow lists, tags, revocation, stewardctl")
struct AgentCommandTests {
    @Test("a secret referenced in a command's environment reaches the program, masked in its output, and is in no database row, log or API answer")
    func secretEnvironment() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            let value = "s3cret-agent-value-7731"
            cluster.neverLog(value)
            _ = try await admin.setSecret("deploy-token", value: value)
            let agent = try await AgentProcess.start("app-1", in: cluster.folder, enrollThrough: node, admin: admin)
            try await withAsyncCleanup {
                try await waitFor("app-1 online") { try await admin.agent(agent.agentID).state == "online" }
                let command = try await admin.runCommand(on: agent.agentID, .init(
                    // The program checks the value by its hash: the command itself must not hold it.
                    argv: ["/bin/sh", "-c", #"[ "$(printf %s "$TOKEN" | sha256sum | cut -c1-64)" = "\#(Self.sha256(value))" ] && echo "token matches: $TOKEN"; echo "plain: $GREETING""#],
                    environment: ["GREETING": "hello"], secretEnvironment: ["TOKEN": "deploy-token"]))
                #expect(command.secretEnvironment == ["TOKEN": "deploy-token"])
                let finished = try await admin.finishedCommand(command.id)
                #expect(finished.state == "succeeded")
                let output = try await admin.outputText(command.id)
                #expect(output == "token matches: ********\nplain: hello\n", "\(output)")
                // Every answer that shows the command, and the audit.
                for path in ["/api/v1/commands/\(command.id.uuidString.lowercased())", "/api/v1/commands/\(command.id.uuidString.lowercased())/output",
                             "/api/v1/agents/\(agent.agentID.uuidString.lowercased())/commands", "/api/v1/audit?limit=500"] {
                    let answer = try await admin.raw(.GET, path)
                    #expect(answer.status == 200)
                    #expect(!answer.text.contains(value), "\(path) shows the secret")
                }
                #expect(try await admin.audit(action: "secret.read").contains { $0.target == "deploy-token" }, "the delivery's read is audited")
                let rows = try await cluster.database.withConnection { connection, logger in
                    try await connection.query("""
                        SELECT (SELECT string_agg(c::text, ' ') FROM agent_commands c) || (SELECT string_agg(o::text, ' ') FROM agent_command_output o)
                               || (SELECT string_agg(a::text, ' ') FROM audit_log a)
                        """, logger: logger).collect().first?.decode(String?.self) ?? ""
                }
                #expect(rows.contains("deploy-token") && !rows.contains(value), "a row holds the secret's value")
                #expect(!agent.log.contains(value), "the agent's log holds it")
                // The node logs are searched by TestCluster at the end.
            } cleanup: {
                await agent.stop()
            }
        }
    }

    @Test("a command for an offline agent waits and runs when it comes back; one that expires first never runs; a queued command cancels at once")
    func offlineAgent() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            var agent = try await AgentProcess.start("batch-1", in: cluster.folder, enrollThrough: node, admin: admin)
            try await waitFor("batch-1 online") { try await admin.agent(agent.agentID).state == "online" }
            await agent.stop()
            try await waitFor("batch-1 offline") { try await admin.agent(agent.agentID).state == "offline" }
            let marker = cluster.folder.file("expired-ran")
            let waits = try await admin.runCommand(on: agent.agentID, .init(argv: ["/bin/echo", "back again"]))
            let expires = try await admin.runCommand(on: agent.agentID, .init(argv: ["/bin/sh", "-c", "touch \(marker)"], expiresInSeconds: 10))
            let cancelled = try await admin.runCommand(on: agent.agentID, .init(argv: ["/bin/sh", "-c", "touch \(marker)"]))
            #expect(try await admin.cancelCommand(cancelled.id).state == "cancelled")
            try await waitFor("the 10 s expiry", timeout: .seconds(15)) { try await admin.command(expires.id).state == "expired" }
            agent = try agent.restarted()
            try await withAsyncCleanup {
                #expect(try await admin.finishedCommand(waits.id).state == "succeeded")
                #expect(try await admin.outputText(waits.id) == "back again\n")
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await admin.command(expires.id).state == "expired")
                #expect(try await admin.command(cancelled.id).state == "cancelled")
                #expect(!FileManager.default.fileExists(atPath: marker), "an expired or cancelled command ran")
            } cleanup: {
                await agent.stop()
            }
        }
    }

    @Test("a running command is cancelled through another node; a timeout stops a program; the agent refuses programs off its allow list, or all when commands are off")
    func stopsAndRefusals() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a"), b = try await cluster.start("node-b")
            let (viaA, viaB) = try await (cluster.adminClient(a), cluster.adminClient(b))
            let strict = try await AgentProcess.start("strict", in: cluster.folder, enrollThrough: a, admin: viaA,
                                                      properties: ["agent.commands.allowed": "/bin/sleep, /bin/echo"])
            let closed = try await AgentProcess.start("closed", in: cluster.folder, enrollThrough: a, admin: viaA,
                                                      properties: ["agent.commands.enabled": "false"])
            try await withAsyncCleanup {
                try await waitFor("both online") { try await viaA.agents([strict.agentID, closed.agentID]).allSatisfy { $0.state == "online" } }
                let long = try await viaA.runCommand(on: strict.agentID, .init(argv: ["/bin/sleep", "60"]))
                try await waitFor("the sleep running") { try await viaA.command(long.id).state == "running" }
                #expect(try await viaB.cancelCommand(long.id).cancelRequested)
                let cancelled = try await viaA.finishedCommand(long.id, timeout: .seconds(10))
                #expect(cancelled.state == "cancelled")
                let slow = try await viaA.runCommand(on: strict.agentID, .init(argv: ["/bin/sleep", "30"], timeoutSeconds: 1))
                #expect(try await viaA.finishedCommand(slow.id, timeout: .seconds(10)).state == "timed-out")
                let offList = try await viaA.finishedCommand(try await viaA.runCommand(on: strict.agentID, .init(argv: ["/bin/sh", "-c", "id"])).id)
                #expect(offList.state == "refused")
                #expect(offList.message?.contains("not in this agent's agent.commands.allowed") == true, "\(offList.message ?? "")")
                let none = try await viaA.finishedCommand(try await viaA.runCommand(on: closed.agentID, .init(argv: ["/bin/echo", "hi"])).id)
                #expect(none.state == "refused")
                #expect(none.message?.contains("agent.commands.enabled=false") == true)
                let badInput = await refusal { try await viaA.runCommand(on: strict.agentID, .init(argv: [])) }
                #expect(badInput?.status == 400)
                let badVariable = await refusal { try await viaA.runCommand(on: strict.agentID, .init(argv: ["/bin/echo"], environment: ["1X": "y"])) }
                #expect(badVariable?.message.contains("not a variable name") == true)
            } cleanup: {
                await strict.stop()
                await closed.stop()
            }
        }
    }

    @Test("stewardctl agents exec --tag runs on every tagged agent; --follow streams the output and exits with the program's code; revoking closes the channel on every node")
    func stewardctlAndRevocation() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a"), b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            try await AgentFleet.with(3, prefix: "web", cluster: cluster, nodes: [a, b], admin: admin, tags: ["web"]) { fleet in
                try await waitFor("3 web agents online") { try await admin.agents(tag: "web", state: "online").count == 3 }
                let token = try #require(admin.token)
                let environment = ["STEWARD_URL": b.httpsURL, "STEWARD_CA_FILE": cluster.caFile, "STEWARD_TOKEN": token,
                                   "STEWARD_CONFIG": cluster.folder.file("none.json")]
                let tagged = try await Binaries.stewardctl(["agents", "exec", "--tag", "web", "--json", "--", "/bin/echo", "deployed"], environment: environment)
                #expect(tagged.status == 0, "\(tagged.output)")
                let commands = try JSONDecoder.steward.decode([AgentCommandInfo].self, from: Data(tagged.output.utf8))
                #expect(Set(commands.map(\.agentID)) == fleet.ids)
                for command in commands { #expect(try await admin.finishedCommand(command.id).state == "succeeded") }
                let one = fleet.agents[0]
                let followed = try await Binaries.stewardctl(["agents", "exec", one.agentID.uuidString, "--follow", "--",
                                                              "/bin/sh", "-c", "echo line one; echo line two; exit 7"], environment: environment)
                #expect(followed.status == 7, "\(followed.output)")
                #expect(followed.output.contains("line one\nline two\n"), "\(followed.output)")
                let tagging = try await Binaries.stewardctl(["agents", "tag", one.agentID.uuidString, "web", "canary"], environment: environment)
                #expect(tagging.status == 0 && tagging.output.contains("web,canary"), "\(tagging.output)")
                #expect(try await admin.agents(tag: "canary").map(\.id) == [one.agentID])

                let connections = one.log.components(separatedBy: "NOTICE connected to").count
                let revoked = try await Binaries.stewardctl(["agents", "revoke", one.agentID.uuidString], environment: environment)
                #expect(revoked.status == 0, "\(revoked.output)")
                try await waitFor("the revoked agent's channel closed") { one.log.contains("this agent is revoked") }
                try await Task.sleep(for: .seconds(3))  // it retries: every node refuses it
                #expect(try await admin.agent(one.agentID).state == "revoked")
                #expect(one.log.components(separatedBy: "NOTICE connected to").count == connections, "a revoked agent was welcomed again")
                let refusals = [a, b].map { node in node.output.components(separatedBy: "agent \(one.agentID) is revoked").count - 1 }
                #expect(refusals.reduce(0, +) >= 1, "its reconnects are refused")
            }
        }
    }
}

extension AgentCommandTests {
    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension JSONDecoder {
    static var steward: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
