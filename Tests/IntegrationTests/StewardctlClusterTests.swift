import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("stewardctl cluster")
struct StewardctlClusterTests {
    @Test("info, summary, nodes list/get as tables and JSON; drain and delete; summary's exit status follows the cluster's health")
    func clusterCommands() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let token = try #require(try await cluster.adminClient(a).token)
            let environment = ["STEWARD_URL": a.httpsURL, "STEWARD_CA_FILE": cluster.caFile, "STEWARD_TOKEN": token,
                               "STEWARD_CONFIG": cluster.folder.file("none.json")]
            func ctl(_ arguments: [String]) async throws -> Shell.Output { try await Binaries.stewardctl(arguments, environment: environment) }

            let info = try await ctl(["cluster", "info"])
            #expect(info.status == 0 && info.output.contains("node-a"), "\(info.output)")
            let good = try await ctl(["cluster", "summary"])
            #expect(good.status == 0, "\(good.output)")
            #expect(good.output.contains("GOOD, 2 of 2 nodes online"))
            let listed = try JSONDecoder.iso.decode([NodeStatus].self, from: Data(try await ctl(["cluster", "nodes", "list", "--json"]).output.utf8))
            try #require(listed.map(\.name) == ["node-a", "node-b"])
            let one = try await ctl(["cluster", "nodes", "get", listed[1].nodeID.description])
            #expect(one.output.contains("node-b") && one.output.contains("online"), "\(one.output)")

            let refused = try await ctl(["cluster", "nodes", "delete", "node-b"])
            #expect(refused.status == 1)
            #expect(refused.output.contains("only an offline node can be decommissioned"), "\(refused.output)")
            let drained = try await ctl(["cluster", "nodes", "drain", "node-b"])
            #expect(drained.status == 0, "\(drained.output)")
            try await waitFor("node-b drained") {
                try await cluster.client(a, token: token).node("node-b").detail == "drained"
            }
            let degraded = try await ctl(["cluster", "summary", "--json"])
            #expect(degraded.status == 5, "\(degraded.output)")
            #expect(try JSONDecoder.iso.decode(ClusterSummary.self, from: Data(degraded.output.utf8)).status == .degraded)
            await b.stop()
            #expect(try await ctl(["cluster", "nodes", "delete", "node-b"]).status == 0)
            #expect(try await ctl(["cluster", "summary"]).status == 0, "decommissioned nodes do not count")
            #expect(try await ctl(["cluster", "nodes", "get", "no-such-node"]).status == 1)
            let unreachable = try await Binaries.stewardctl(["cluster", "info", "--url", "https://127.0.0.1:1"], environment: environment)
            #expect(unreachable.status == 3)
        }
    }
}
