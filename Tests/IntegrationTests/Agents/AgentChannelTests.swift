import Crypto
import Foundation
import StewardAgentProtocol
import StewardClient
import StewardModel
import StewardTesting
import Testing
import X509

/// The agent port against peers that are not (or not quite) agents: only an enrolled agent's
/// certificate gets a conversation, and what it says wrong gets a clear answer, never a crash.
@Suite("The agent channel: mutual TLS, hello and welcome, hostile input")
struct AgentChannelTests {
    @Test("an enrolled agent's certificate is welcomed with the node's id and the online nodes; the welcome comes only after its hello")
    func welcome() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            let agent = try await TestAgentIdentity.enroll(admin: admin, name: "probe")
            let messages = try await WebSocketProbe.exchange(url: b.webSocketURL + AgentProtocol.path, identity: agent, send: [agent.hello],
                                                             expecting: 1)
            guard case .welcome(let welcome) = try AgentMessage.decode(messages[0]) else {
                Issue.record("not a welcome: \(messages)")
                return
            }
            #expect(welcome.nodeName == "node-b")
            #expect(welcome.nodeID == (try await admin.node("node-b")).nodeID.uuid)
            #expect(Set(welcome.nodes.map(\.name)) == ["node-a", "node-b"])
            #expect(welcome.nodes.contains { $0.url == "wss://localhost:\(a.webSocketPort)/ws/agent" }, "\(welcome.nodes)")
            #expect(welcome.heartbeatSeconds == 10)
        }
    }

    @Test("no client certificate: the upgrade is refused before any work, and the answer says nothing about the cluster")
    func noCertificate() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let info = try await cluster.adminClient(node).clusterInfo()
            let refused = try? await WebSocketProbe.exchange(url: node.webSocketURL + AgentProtocol.path, send: [], expecting: 1, timeout: .seconds(5))
            #expect(refused == nil)
            let answer = try await StewardClient(baseURL: "https://localhost:\(node.webSocketPort)", trust: .insecure).raw(
                .GET, AgentProtocol.path,
                headers: [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                          ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")])
            #expect(answer.status >= 400 && answer.status < 500, "\(answer.status) \(answer.text)")
            for secret in [info.clusterID.description, info.nodeID.description, "node-a", StewardVersion.current.description] {
                #expect(!answer.text.contains(secret), "the refusal gives away \(secret): \(answer.text)")
            }
            try await waitFor("the refusal in the node's log") { node.output.contains("agent upgrade refused: no client certificate") }
            // The health checks of a load balancer still work without one.
            #expect(try await StewardClient(baseURL: "https://localhost:\(node.webSocketPort)", trust: .caFile(cluster.clusterCAFile))
                .raw(.GET, "/health/live").status == 200)
        }
    }

    @Test("a certificate from another CA fails the TLS handshake; a revoked agent is told so and closed before any work")
    func wrongCertificates() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            let url = node.webSocketURL + AgentProtocol.path
            let genuine = try await TestAgentIdentity.enroll(admin: admin, name: "genuine")
            // The same agent id and name, signed by a CA of the attacker's own.
            let forged = try Self.selfSigned(as: genuine)
            let forgedAnswer = try? await WebSocketProbe.exchange(url: url, identity: forged, send: [forged.hello], expecting: 1, timeout: .seconds(5))
            #expect(forgedAnswer == nil)
            _ = try await admin.revokeAgent(genuine.agentID)
            // An agent the CA signed is told why, in an error and a close frame, before any work.
            // The probe's normal 30 s: an answer is due, and 5 s ran out once with twenty agent tests at a time.
            let revoked = try await WebSocketProbe.exchange(url: url, identity: genuine, send: [genuine.hello], expecting: 1)
            guard case .error(let error) = try AgentMessage.decode(try #require(revoked.first)) else { Issue.record("\(revoked)"); return }
            #expect(error.code == "revoked" && error.fatal)
            try await waitFor("the revocation in the log") { node.output.contains("agent upgrade refused: agent \(genuine.agentID) is revoked") }
            #expect(try await WebSocketProbe.exchange(url: url, identity: try await TestAgentIdentity.enroll(admin: admin, name: "fine"),
                                                      send: [], expecting: 0).isEmpty)
        }
    }

    @Test("bad messages get a clear error: unknown types keep the channel, the rest close it; the node goes on serving")
    func badMessages() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            let agent = try await TestAgentIdentity.enroll(admin: admin, name: "probe")
            let other = try await TestAgentIdentity.enroll(admin: admin, name: "other")
            let url = node.webSocketURL + AgentProtocol.path
            func error(_ sent: [String], at index: Int) async throws -> ProtocolError? {
                let received = try await WebSocketProbe.exchange(url: url, identity: agent, send: sent, expecting: index + 1, timeout: .seconds(10))
                guard received.count > index, case .error(let error) = try AgentMessage.decode(received[index]) else { return nil }
                return error
            }
            let unknown = try await error([agent.hello, #"{"v":1,"type":"launch-missiles","body":{}}"#], at: 1)
            #expect(unknown?.code == "unknown-type" && unknown?.fatal == false)
            #expect(try await error([#"{"v":99,"type":"hello","body":{}}"#], at: 0)?.code == "version")
            #expect(try await error(["not json at all {"], at: 0)?.code == "malformed")
            #expect(try await error([#"{"v":1,"type":"hello","body":{"agentID":42}}"#], at: 0)?.code == "bad-body")
            #expect(try await error([other.hello], at: 0)?.code == "identity", "a hello naming another agent than the certificate")
            #expect(try await error([#"{"v":1,"type":"ack","body":{"commandID":"\#(UUID())"}}"#], at: 0)?.code == "hello-first")
            let direction = try await error([agent.hello, #"{"v":1,"type":"command","body":{}}"#], at: 1)
            #expect(direction?.code == "bad-body" || direction?.code == "direction")
            // A message over 64 KiB closes the channel instead of being buffered.
            let huge = try? await WebSocketProbe.exchange(url: url, identity: agent,
                                                          send: [agent.hello, String(repeating: "x", count: 100_000)], expecting: 2, timeout: .seconds(5))
            #expect(huge == nil || huge?.count ?? 0 < 2)
            #expect(try await StewardClient(baseURL: node.httpURL).raw(.GET, "/health/live").status == 200)
            #expect(try await admin.node("node-a").stateCode == .online)
        }
    }

    @Test("an agent flooding the channel is cut off by the per-connection rate limit")
    func flood() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let agent = try await TestAgentIdentity.enroll(admin: try await cluster.adminClient(node), name: "flood")
            // Messages that cost the node nothing to handle: a flood of ones that each take a database
            // write is slowed by the node itself, and the limit is for what is not.
            let noise = #"{"v":1,"type":"error","body":{"code":"noise","message":"flood","fatal":false}}"#
            let received = try await WebSocketProbe.exchange(url: node.webSocketURL + AgentProtocol.path, identity: agent,
                                                             send: [agent.hello] + Array(repeating: noise, count: 3000), expecting: 2,
                                                             timeout: .seconds(30))
            #expect(received.count == 2)
            guard received.count == 2, case .error(let error) = try AgentMessage.decode(received[1]) else { return }
            #expect(error.code == "rate" && error.fatal)
        }
    }

    @Test("a burst past the accept rate: the connections over it are closed before any TLS work, and agents are welcomed again once it refills")
    func acceptRate() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a", extra: ["server.websocket.accept.rate": "4"])
            let agent = try await TestAgentIdentity.enroll(admin: try await cluster.adminClient(node), name: "storm")
            try await Task.sleep(for: .seconds(1))  // the bucket full again (four a second) after any earlier connection
            // Twelve at once, none sending a byte: an admitted one waits for its TLS hello (10 s), one over the rate is closed now.
            let burst = try SlowClients.open(12, port: node.webSocketPort, sending: [])
            try await waitFor("the connections over the rate closed") { burst.filter(\.isClosedByPeer).count >= 7 }
            try await Task.sleep(for: .milliseconds(500))  // a connection wrongly closed late would show by now
            let admitted = burst.filter { !$0.isClosedByPeer }.count
            #expect((4...5).contains(admitted), "\(admitted) of 12 kept open at 4 a second (one more may have refilled meanwhile)")
            try await Task.sleep(for: .seconds(1))
            let messages = try await WebSocketProbe.exchange(url: node.webSocketURL + AgentProtocol.path, identity: agent, send: [agent.hello],
                                                             expecting: 1)
            guard case .welcome = try AgentMessage.decode(messages[0]) else {
                Issue.record("not welcomed after the rate refilled: \(messages)")
                return
            }
        }
    }

    @Test("a channel an agent left open on one node takes none of its commands: each reaches the agent where it is connected now")
    func leftChannel() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            let identity = try await TestAgentIdentity.enroll(admin: admin, name: "mover")
            // Welcomed by node-b, then silent (a socket nobody has found dead yet); then connected to node-a.
            let left = try await TestAgentChannel.open(url: b.webSocketURL + AgentProtocol.path, identity: identity, .silent)
            let current = try await TestAgentChannel.open(url: a.webSocketURL + AgentProtocol.path, identity: identity, .answering)
            defer { left.close(); current.close() }
            try await waitFor("the agent shown on node-a") { try await admin.agent(identity.agentID).connectedNode == "node-a" }
            // Both nodes hear of a command; node-a paused, node-b hears it first. Taken by the left
            // channel, it would be marked sent and never reach the agent (node-a sends only queued ones).
            let viaB = cluster.client(b, token: admin.token)
            a.signal(SIGSTOP)
            let first = try await viaB.runCommand(on: identity.agentID, .init(argv: ["/bin/true"]))
            do {
                try await waitFor("node-b deciding about the command") {
                    if b.output.contains("agent mover is connected to another node: closing the channel it left here") { return true }
                    return try await viaB.command(first.id).state != "queued"
                }
            } catch {
                a.signal(SIGCONT)
                throw error
            }
            a.signal(SIGCONT)
            try await waitFor("command \(first.id) finished", timeout: .seconds(10)) { try await admin.command(first.id).isFinished }
            #expect(b.output.contains("agent mover is connected to another node: closing the channel it left here"))
            for _ in 0..<3 {
                let command = try await viaB.runCommand(on: identity.agentID, .init(argv: ["/bin/true"]))
                try await waitFor("command \(command.id) finished", timeout: .seconds(10)) { try await admin.command(command.id).isFinished }
            }
            #expect(current.commandsAnswered == 4)
        }
    }

    static func selfSigned(as genuine: TestAgentIdentity) throws -> TestAgentIdentity {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(genuine.agentID.uuidString.lowercased()) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date().addingTimeInterval(-60),
            notValidAfter: Date().addingTimeInterval(3600), issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { try ExtendedKeyUsage([.clientAuth]) }, issuerPrivateKey: .init(key))
        return TestAgentIdentity(agentID: genuine.agentID, certificatePEM: try certificate.serializeAsPEM().pemString,
                                 keyPEM: key.pemRepresentation, caPEM: genuine.caPEM)
    }
}
