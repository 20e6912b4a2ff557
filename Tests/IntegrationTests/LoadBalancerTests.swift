import Foundation
import StewardAgentProtocol
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// A real HAProxy running Scripts/haproxy/haproxy.cfg.sample in front of three real nodes.
@Suite("HAProxy in front of the cluster")
struct LoadBalancerTests {
    /// Which node answered, and the affinity cookie HAProxy set, if any.
    func ask(_ url: String, token: String, cookie: String? = nil, trust: StewardClient.Trust = .insecure) async throws -> (node: String, cookie: String?) {
        let client = StewardClient(baseURL: url, trust: trust, token: token, timeout: .seconds(5))
        let response = try await client.raw(.GET, "/api/v1/cluster/info", headers: cookie.map { [("Cookie", "STEWARD_NODE=\($0)")] } ?? [])
        guard response.status == 200 else { throw HarnessError("\(url): \(response.status) \(response.text)") }
        let set = response.headers.first { $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix("STEWARD_NODE=") }?.1
        return (try response.decode(ClusterInfo.self).nodeName, set.map { String($0.dropFirst("STEWARD_NODE=".count).prefix { $0 != ";" }) })
    }

    /// True once `count` requests in a row are answered, all by nodes `accepted` allows.
    func routes(_ url: String, token: String, cookie: String? = nil, count: Int, to accepted: (String) -> Bool) async -> Bool {
        for _ in 0..<count {
            guard let answer = try? await ask(url, token: token, cookie: cookie), accepted(answer.node) else { return false }
        }
        return true
    }

    func withBalancedCluster(_ body: (TestCluster, [ServerProcess], TestLoadBalancer, String) async throws -> Void) async throws {
        try await TestCluster.with { cluster in
            // HAProxy (on loopback) ends TLS for variant C: the nodes take credentials on 8080 from it.
            let proxy: [String: String?] = ["server.trusted.proxies": "127.0.0.1"]
            let nodes = try await [cluster.start("node-1", extra: proxy), cluster.start("node-2", extra: proxy), cluster.start("node-3", extra: proxy)]
            let balancer = try await TestLoadBalancer(nodes: nodes, caCertificatePEM: cluster.caCertificate(), folder: cluster.folder)
            try await withAsyncCleanup {
                let token = try #require(try await cluster.adminClient(nodes[0]).token)
                try await waitFor("HAProxy to see three nodes up") {
                    var seen: Set<String> = []
                    for _ in 0..<9 { if let answer = try? await ask(balancer.reencryptURL, token: token) { seen.insert(answer.node) } }
                    return seen.count == 3
                }
                try await body(cluster, nodes, balancer, token)
            } cleanup: {
                await balancer.stop()
            }
        }
    }

    @Test("cookie affinity holds while a node is up; a SIGKILLed node gets no more requests, and its users stay logged in")
    func affinityAndFailover() async throws {
        try await withBalancedCluster { _, nodes, balancer, token in
            let first = try await ask(balancer.reencryptURL, token: token)
            let cookie = try #require(first.cookie)
            for _ in 0..<5 { #expect(try await ask(balancer.reencryptURL, token: token, cookie: cookie).node == first.node) }
            let victim = try #require(nodes.first { $0.name == first.node })
            await victim.kill9()
            // Within the health checks' fall time HAProxy stops routing to it; until then, redispatch.
            try await waitFor("HAProxy to route the dead node's users elsewhere") {
                await routes(balancer.reencryptURL, token: token, cookie: cookie, count: 10) { $0 != first.node }
            }
        }
    }

    @Test("HTTPS three ways: passed through (source affinity), re-encrypted and terminated to the trusted 8080 (cookie affinity); plain HTTP redirects")
    func https() async throws {
        try await withBalancedCluster { cluster, _, balancer, token in
            let passthrough = try await ask(balancer.passthroughURL, token: token, trust: .caFile(cluster.caFile))
            let again = try await ask(balancer.passthroughURL, token: token, trust: .caFile(cluster.caFile))
            #expect(passthrough.node == again.node, "source affinity")
            #expect(try TLSProbe.subject(await TLSProbe.peerCertificate(port: balancer.passthroughPort)) == "CN=steward")
            let reencrypted = try await ask(balancer.reencryptURL, token: token)
            let cookie = try #require(reencrypted.cookie)
            for _ in 0..<3 { #expect(try await ask(balancer.reencryptURL, token: token, cookie: cookie).node == reencrypted.node) }
            #expect(try TLSProbe.subject(await TLSProbe.peerCertificate(port: balancer.reencryptPort)) == "CN=localhost")
            let terminated = try await ask(balancer.terminateURL, token: token)
            let stuck = try #require(terminated.cookie)
            for _ in 0..<3 { #expect(try await ask(balancer.terminateURL, token: token, cookie: stuck).node == terminated.node) }
            let plain = try await StewardClient(baseURL: balancer.httpURL, token: token).raw(.GET, "/api/v1/cluster/info")
            #expect(plain.status == 308)
            #expect(plain.headers.first { $0.0.lowercased() == "location" }?.1.hasPrefix("https://") == true)
        }
    }

    @Test("agents reach a node through TCP passthrough of the WebSocket port")
    func agentsPassThrough() async throws {
        try await withBalancedCluster { cluster, nodes, balancer, _ in
            let agent = try await TestAgentIdentity.enroll(admin: try await cluster.adminClient(nodes[0]), name: "through-haproxy")
            let messages = try await WebSocketProbe.exchange(url: balancer.agentURL, identity: agent, send: [agent.hello], expecting: 1)
            guard case .welcome(let welcome) = try AgentMessage.decode(try #require(messages.first)) else {
                Issue.record("no welcome: \(messages)")
                return
            }
            #expect(welcome.nodes.count == nodes.count)
        }
    }

    @Test("agent processes connected through HAProxy's TCP passthrough survive the death of the node behind it")
    func agentsSurviveThroughBalancer() async throws {
        try await withBalancedCluster { cluster, nodes, balancer, _ in
            let admin = try await cluster.adminClient(nodes[0])
            let address = balancer.agentURL.replacingOccurrences(of: "wss://", with: "").replacingOccurrences(of: "/ws/agent", with: "")
            try await AgentFleet.with(3, prefix: "lb", cluster: cluster, nodes: nodes, admin: admin,
                                      properties: ["agent.servers": address, "agent.use.node.list": "false"]) { fleet in
                try await waitFor("3 agents online through HAProxy", timeout: .seconds(30)) {
                    try await admin.agents(fleet.ids).filter { $0.state == "online" }.count == 3
                }
                let held = try await admin.agents(fleet.ids).compactMap(\.connectedNode)
                let victimName = try #require(held.first { $0 != "node-1" } ?? held.first)
                let victim = try #require(nodes.first { $0.name == victimName })
                let survivor = try #require(nodes.first { $0.name != victimName })
                let viaSurvivor = try await cluster.adminClient(survivor)
                await victim.kill9()
                try await waitFor("the agents back through HAProxy on the other nodes", timeout: .seconds(30)) {
                    try await viaSurvivor.agents(fleet.ids).allSatisfy { $0.state == "online" && $0.connectedNode != nil && $0.connectedNode != victimName }
                }
                for agent in fleet.agents { #expect(agent.log.contains("(wss://\(address)/ws/agent)"), "\(agent.name) went around HAProxy") }
            }
        }
    }

    @Test("a rolling upgrade: the older nodes go offline (upgrade required) and HAProxy routes around them")
    func upgradeRoutesAround() async throws {
        try await withBalancedCluster { cluster, nodes, balancer, token in
            await nodes[2].stop()
            let upgraded = try await cluster.start("node-3", extra: nodes[2].portSettings.merging(["server.trusted.proxies": "127.0.0.1"]) { $1 }, environment: ["STEWARD_TEST_PRETEND_NEXT_VERSION": "1"])
            let admin = cluster.client(upgraded, token: token)
            try await waitFor("the older nodes to stand down", timeout: .seconds(10)) {
                let states = try await admin.nodes().filter { $0.name != "node-3" }.map(\.state)
                return states.allSatisfy { $0 == "offline (upgrade required)" }
            }
            #expect(try await admin.clusterInfo().clusterSoftwareVersion != StewardVersion.current.description)
            try await waitFor("HAProxy to route only to node-3") {
                await routes(balancer.reencryptURL, token: token, count: 6) { $0 == "node-3" }
            }
            // The older nodes still answer liveness and the status API, and say why they are out.
            let older = cluster.client(nodes[0], token: token)
            #expect(try await older.raw(.GET, "/health/live").status == 200)
            #expect(try await older.raw(.GET, "/health/ready").text.contains("upgrade required"))
            #expect(nodes[0].output.contains("upgrade required"))
            // Restarted on the new version, an older node comes back and gets traffic again.
            await nodes[0].stop()
            _ = try await cluster.start("node-1", extra: nodes[0].portSettings.merging(["server.trusted.proxies": "127.0.0.1"]) { $1 }, environment: ["STEWARD_TEST_PRETEND_NEXT_VERSION": "1"])
            try await waitFor("HAProxy to send traffic to the upgraded node-1", timeout: .seconds(15)) {
                var seen: Set<String> = []
                for _ in 0..<6 { if let answer = try? await ask(balancer.reencryptURL, token: token) { seen.insert(answer.node) } }
                return seen == ["node-1", "node-3"]
            }
        }
    }
}
