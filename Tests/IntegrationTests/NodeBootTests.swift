import Foundation
import StewardAgentProtocol
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("A node boots and serves its three ports")
struct NodeBootTests {
    @Test("two nodes report one cluster id and their own names over HTTPS")
    func twoNodesShareOneCluster() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            var clusterIDs: Set<ClusterID> = []
            var names: [String] = []
            for node in [a, b] {
                let info = try await cluster.adminClient(node).clusterInfo()
                clusterIDs.insert(info.clusterID)
                names.append(info.nodeName)
                #expect(info.softwareVersion == StewardVersion.current.description)
                #expect(info.schemaVersion >= 1)
            }
            #expect(clusterIDs.count == 1)
            #expect(names == ["node-a", "node-b"])
            let written = try String(contentsOfFile: cluster.appData + "/cluster.id", encoding: .utf8)
            #expect(ClusterID(written) == clusterIDs.first)
        }
    }

    @Test("every port answers /health/live and /health/ready; each does only its own job")
    func everyPortServesHealth() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let token = try await cluster.adminClient(node).token
            // The agent port presents a certificate from the cluster CA; the others the node's keystore entry.
            for (url, trust) in [(node.httpURL, StewardClient.Trust.caFile(cluster.caFile)), (node.httpsURL, .caFile(cluster.caFile)),
                                 ("https://localhost:\(node.webSocketPort)", .caFile(cluster.clusterCAFile))] {
                let client = StewardClient(baseURL: url, trust: trust)
                let live = try await client.raw(.GET, "/health/live")
                #expect(live.status == 200, "\(url)/health/live")
                let (ready, report) = try await client.readiness()
                #expect(ready, "\(url)/health/ready: \(report)")
                #expect(report.checks["database"] == "ok")
                #expect(report.checks["schema"] == "ok")
            }
            // HTTPS serves the API; the agent port does not; plain HTTP refuses credentials and sends browsers to HTTPS.
            #expect(try await cluster.client(node, token: token).clusterInfo().nodeName == "node-a")
            let agentPort = try await StewardClient(baseURL: "https://localhost:\(node.webSocketPort)", trust: .caFile(cluster.clusterCAFile), token: token)
                .raw(.GET, "/api/v1/cluster/info")
            #expect(agentPort.status == 404, "\(agentPort.text)")
            let plain = try await StewardClient(baseURL: node.httpURL, token: token).raw(.GET, "/api/v1/cluster/info")
            #expect(plain.status == 403)
            #expect(plain.text.contains("credentials are not accepted over plain HTTP: use https://127.0.0.1:\(node.httpsPort)/api/v1/cluster/info"), "\(plain.text)")
            let browser = try await StewardClient(baseURL: node.httpURL).raw(.GET, "/")
            #expect(browser.status == 308)
            #expect(browser.headers.first { $0.0.lowercased() == "location" }?.1 == "https://127.0.0.1:\(node.httpsPort)/")
        }
    }

    @Test("a node warns at start when the cluster's nodes × pool size come near the database's max_connections")
    func connectionBudget() async throws {
        try await TestCluster.with { cluster in
            // The test server allows 597 (max_connections 600 less 3 reserved); the warning comes at 80 %.
            let a = try await cluster.start("node-a", extra: ["database.pool.size": "200"])
            let b = try await cluster.start("node-b", extra: ["database.pool.size": "200"])
            #expect(!a.output.contains("database connections, and the server allows"), "one node of 205 fits in 597")
            #expect(!b.output.contains("database connections, and the server allows"), "two nodes of 205 fit in 597")
            let c = try await cluster.start("node-c", extra: ["database.pool.size": "200"])
            #expect(c.output.contains("3 nodes × (database.pool.size 200 + 5 own connections) = 615 database connections, and the server allows"), "\(c.output)")
        }
    }
}
