import Foundation
import StewardClient
import StewardDatabase
import StewardModel
import StewardTesting
import Testing

@Suite("Forming a cluster: first start, appdata ownership")
struct ClusterFormationTests {
    @Test("three nodes racing the first start on an empty database all come up, migrations run once")
    func racingFirstStart() async throws {
        try await TestCluster.with { cluster in
            let nodes = try ["node-a", "node-b", "node-c"].map { try cluster.launch($0) }
            for node in nodes { try await node.waitUntilLive() }
            var ids: Set<ClusterID> = []
            for node in nodes { ids.insert(try await cluster.adminClient(node).clusterInfo().clusterID) }
            #expect(ids.count == 1)
            let counts = try await cluster.database.withConnection { connection, logger in
                try await connection.query("""
                    SELECT (SELECT count(*)::int FROM cluster), (SELECT count(*)::int FROM steward_schema_migrations),
                           (SELECT count(*)::int FROM nodes WHERE state = 'online')
                    """, logger: logger).collect().first?.decode((Int, Int, Int).self)
            }
            #expect(counts?.0 == 1)
            #expect(counts?.1 == Migrations.count)
            #expect(counts?.2 == 3)
            let created = nodes.filter { $0.output.contains("created cluster") }
            #expect(created.count == 1, "exactly one node created the cluster")
            #expect(ClusterID(try String(contentsOfFile: cluster.appData + "/cluster.id", encoding: .utf8)) == ids.first)
        }
    }

    @Test("appdata that belongs to another cluster is refused and left unchanged")
    func foreignAppData() async throws {
        try await TestCluster.with { cluster in
            let first = try await cluster.start("node-a")
            await first.stop()
            let foreign = ClusterID()
            try "\(foreign)\n".write(toFile: cluster.appData + "/cluster.id", atomically: true, encoding: .utf8)
            try await expectRefused(cluster, "node-a", saying: "belongs to cluster \(foreign)")
            #expect(try String(contentsOfFile: cluster.appData + "/cluster.id", encoding: .utf8) == "\(foreign)\n")
        }
    }

    @Test("appdata of a cluster whose database is empty is refused (wrong database.url)")
    func orphanedAppData() async throws {
        try await TestCluster.with { cluster in
            let stranger = ClusterID()
            try "\(stranger)\n".write(toFile: cluster.appData + "/cluster.id", atomically: true, encoding: .utf8)
            try await expectRefused(cluster, "node-a", saying: "belongs to cluster \(stranger), but the database")
            let tables = try await cluster.database.withConnection { connection, logger in
                try await connection.query("SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public'", logger: logger)
                    .collect().first?.decode(Int.self)
            }
            #expect(tables == 0, "the refused start left the database as it was (its migration was rolled back)")
        }
    }

    @Test("appdata without cluster.id joins an existing cluster only with --claim-appdata")
    func unclaimedAppData() async throws {
        try await TestCluster.with { cluster in
            let first = try await cluster.start("node-a")
            let info = try await cluster.adminClient(first).clusterInfo()
            await first.stop()
            try FileManager.default.removeItem(atPath: cluster.appData + "/cluster.id")
            try await expectRefused(cluster, "node-a", saying: "has no cluster.id, but the database holds cluster \(info.clusterID)", "--claim-appdata")
            _ = try await cluster.start("node-a", arguments: ["--claim-appdata"])
            #expect(ClusterID(try String(contentsOfFile: cluster.appData + "/cluster.id", encoding: .utf8)) == info.clusterID)
        }
    }

    @Test("two processes with the same node name on one appdata: the second is refused")
    func duplicateNodeName() async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.start("node-a")
            try await expectRefused(cluster, "node-a", saying: "another steward-server")
        }
    }
}
