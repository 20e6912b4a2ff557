import Foundation
import StewardAppData
import StewardConfiguration
import StewardTesting
import Testing

@Suite("Real nodes: refused while running, and started on the migrated appdata", .serialized)
struct NodeOnMigratedAppDataTests {
    func clusterID(_ appData: String) -> String? {
        (try? String(contentsOfFile: appData + "/cluster.id", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("moving a cluster's appdata: refused while the node runs or the database shows it fresh; the node starts on the copy; originals deleted once")
    func fromAppData() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let destination = cluster.folder.file("shared storage/appdata é")
            let arguments = ["--from-appdata", cluster.appData, "--to", destination, "--properties", node.configFile, "--apply"]

            try await Migrate.expect(arguments, status: 1, saying: "a Steward server is still running on this data (node node-a", "shows nodes of this cluster running (node-a")
            #expect(!Fixture.exists(destination))

            // Killed: the kernel released its lock, but the database saw it seconds ago.
            await node.kill9()
            let killed = try await Migrate.expect(arguments, status: 1)
            #expect(!killed.output.contains("still running on this data"), "\(killed.output)")
            #expect(killed.output.contains("shows nodes of this cluster running (node-a"), "\(killed.output)")
            #expect(!Fixture.exists(destination))

            // Stopped cleanly, the node is marked stopped: the migration goes ahead.
            let restarted = try await cluster.start("node-a")
            await restarted.stop()
            try await Migrate.expect(arguments, status: 0, saying: "no node running")
            let value = try PropertiesFile.load(path: restarted.configFile)["server.appdata.dir"]
            #expect(value == destination)
            #expect(try await Migrate.verify(destination).status == 0)

            let moved = try await cluster.start("node-a", extra: ["server.appdata.dir": value])
            let token = try await cluster.adminClient(moved).token ?? ""
            let info = try await Binaries.stewardctl(["cluster", "info", "--url", moved.httpsURL, "--ca-file", cluster.caFile, "--json"],
                                                     environment: ["STEWARD_TOKEN": token, "STEWARD_CONFIG": "/nonexistent/stewardctl.json"])
            #expect(info.status == 0, "\(info.output)")
            let id = try #require(clusterID(destination))
            #expect(info.output.contains(id))
            #expect(try String(contentsOfFile: destination + "/logs/node-a/server.log", encoding: .utf8).contains("node online"))
            await moved.stop()

            let delete = ["--delete-originals", "--from-appdata", cluster.appData, "--to", destination, "--apply"]
            let deleted = try await Migrate.expect(delete, status: 0)
            #expect(deleted.output.contains("logs/node-a/server.log"), "a log grown on the new appdata is reported: \(deleted.output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: cluster.appData) == [])
            try await Migrate.expect(delete, status: 0, saying: "nothing to do")
            #expect(Fixture.exists(destination + "/conf/server.keystore"))
        }
    }

    @Test("an older installation's data: migrated while another node of the cluster runs (only its own node counts), claimed with --claim-appdata, the node comes up; originals deleted but installed.version kept")
    func fromInstall() async throws {
        try await TestCluster.with { cluster in
            let first = try await cluster.start("node-a")

            let install = cluster.folder.file("node-b install")
            for item in ["conf/server.keystore", "conf/server/log4j.properties", "conf/server/notification-templates"] {
                try FileManager.default.createDirectory(atPath: (install + "/" + item as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: cluster.appData + "/" + item, toPath: install + "/" + item)
            }
            try Fixture.write(install + "/var/plugins/deploy tools é.jar", Fixture.pseudoRandom(50_000, seed: 9))
            try Fixture.write(install + "/logs/node-b/server.log", "from the old installation\n")
            try Fixture.write(install + "/conf/installed.version", "0.9.0\n")
            try Fixture.write(install + "/bin/steward-server", "old binary", mode: 0o755)

            let properties = cluster.folder.file("node-b/installed.properties")
            let settings = cluster.properties(name: "node-b", ports: [18080, 18443, 17919], extra: ["server.appdata.dir": install])
            let text = "# node-b, before the migration\n" + settings.sorted { $0.key < $1.key }
                .map { "\($0.key)=\(PropertiesEditor.escapeValue($0.value))\n" }.joined()
            try Fixture.write(properties, text, modified: nil)

            let destination = cluster.folder.file("shared/node-b appdata")
            // Had this installation been node-a's, the running node-a would stop it.
            let asNodeA = cluster.folder.file("node-a as installed/installed.properties")
            try Fixture.write(asNodeA, text.replacingOccurrences(of: "server.node.name=node-b", with: "server.node.name=node-a"), modified: nil)
            try await Migrate.expect(["--from-install", install, "--to", destination, "--properties", asNodeA, "--apply"], status: 1, saying: "shows node node-a, whose installation this is, running")
            #expect(!Fixture.exists(destination))

            // node-a runs on the cluster's own appdata; node-b's installation is not its concern.
            try await Migrate.expect(["--from-install", install, "--to", destination, "--properties", properties, "--apply"], status: 0, saying: "node node-b not running (running: node-a; they do not use this installation)")
            await first.stop()
            let value = try PropertiesFile.load(path: properties)["server.appdata.dir"]
            #expect(value == destination)
            #expect(!Fixture.exists(destination + "/cluster.id"))

            let unclaimed = try await cluster.refusal("node-b", extra: ["server.appdata.dir": value])
            #expect(unclaimed.status == 1)
            #expect(unclaimed.output.contains("--claim-appdata"), "\(unclaimed.output)")

            // An old installation has no encryption keystore; the cluster's is needed (docs/appdata-migration.md).
            let refusedWithoutKeys = try await cluster.refusal("node-b", extra: ["server.appdata.dir": value], arguments: ["--claim-appdata"])
            #expect(refusedWithoutKeys.output.contains("encryption.keystore is missing"), "\(refusedWithoutKeys.output)")
            for file in ["conf/encryption.keystore", "conf/cluster-ca.pem"] {
                try FileManager.default.copyItem(atPath: cluster.appData + "/" + file, toPath: destination + "/" + file)
            }
            let node = try await cluster.start("node-b", extra: ["server.appdata.dir": value], arguments: ["--claim-appdata"])
            #expect(clusterID(destination) != nil)
            #expect(clusterID(destination) == clusterID(cluster.appData))
            let token = try await cluster.adminClient(node).token ?? ""
            let info = try await Binaries.stewardctl(["cluster", "info", "--url", node.httpsURL, "--ca-file", cluster.caFile, "--json"],
                                                     environment: ["STEWARD_TOKEN": token, "STEWARD_CONFIG": "/nonexistent/stewardctl.json"])
            #expect(info.output.contains("node-b"), "\(info.output)")
            await node.stop()

            let delete = ["--delete-originals", "--from-install", install, "--to", destination, "--apply"]
            try await Migrate.expect(delete, status: 0)
            for item in ["var/plugins", "logs", "conf/server.keystore", "conf/server/log4j.properties", "conf/server/notification-templates"] {
                #expect(!Fixture.exists(install + "/" + item), "\(item)")
            }
            #expect(Fixture.exists(install + "/conf/installed.version"))
            #expect(Fixture.exists(install + "/bin/steward-server"))
            #expect(Fixture.exists(destination + "/var/plugins/deploy tools é.jar"))
            #expect(try await Migrate.run(delete).output.contains("nothing to do"))
        }
    }
}
