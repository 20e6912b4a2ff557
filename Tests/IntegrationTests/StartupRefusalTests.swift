import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// Every way a node refuses to start: exit status 1 and one line that names what to fix.
@Suite("A node refuses to start, clearly")
struct StartupRefusalTests {
    /// (what is wrong, properties to set, text the refusal must contain)
    static let badConfigurations: [(String, [String: String?], String)] = [
        ("port out of range", ["server.http.port": "70000"], "server.http.port: '70000' is not a port number (1-65535)"),
        ("missing appdata", ["server.appdata.dir": nil], "server.appdata.dir: is required"),
        ("bad duration", ["cluster.heartbeat.interval": "fast"], "cluster.heartbeat.interval: 'fast' is not a duration"),
        ("missing password file", ["database.password.file": "/nonexistent/db.password"],
         "database.password.file: the file /nonexistent/db.password does not exist"),
        ("password file is a folder", ["database.password.file": "/tmp"], "database.password.file: the file /tmp is a folder, not a file"),
        ("missing alias", ["server.key.alias": "no-such-entry"],
         "server.key.alias: keystore", ),
        ("missing alias names the entries", ["server.key.alias": "no-such-entry"],
         "no key entry named 'no-such-entry'; its key entries are: steward"),
        ("wrong keystore password", ["server.keystore.password.file": nil, "server.keystore.password": "not-the-password"],
         "server.keystore.password: keystore"),
        ("wrong keystore password says so", ["server.keystore.password.file": nil, "server.keystore.password": "not-the-password"],
         "the keystore password is wrong"),
        ("missing keystore", ["server.keystore": "/nonexistent/server.keystore"], "server.keystore: keystore /nonexistent/server.keystore: the file does not exist"),
        ("unreachable database", ["database.url": "postgres://127.0.0.1:1/nothing"], "cannot connect to database postgres://postgres@127.0.0.1:1/nothing"),
    ]

    @Test("each bad configuration stops the node with a message naming file, line and key",
          arguments: badConfigurations.indices)
    func badConfiguration(index: Int) async throws {
        let (what, extra, expected) = Self.badConfigurations[index]
        try await TestCluster.with { cluster in
            let (status, output) = try await cluster.refusal("node-a", extra: extra)
            #expect(status == 1, "\(what): exit status")
            #expect(output.contains(expected), "\(what): \(output)")
            #expect(output.contains("installed.properties"), "\(what): the message names the file")
            // When the key at fault is in the file, the message gives its line.
            let config = try String(contentsOfFile: cluster.folder.file("nodes/node-a/installed.properties"), encoding: .utf8)
            let lines = config.split(separator: "\n", omittingEmptySubsequences: false)
            if let key = expected.split(separator: ":").first.map({ String($0).trimmingCharacters(in: .whitespaces) }),
               let line = lines.firstIndex(where: { $0.hasPrefix(key + "=") }) {
                #expect(output.contains("installed.properties:\(line + 1): \(key):"), "\(what): \(output)")
            }
        }
    }

    @Test("a port already in use is refused, naming the key and port")
    func portInUse() async throws {
        let blocker = try PortBlocker()
        try await TestCluster.with { cluster in
            try await expectRefused(cluster, "node-a", extra: ["server.https.port": String(blocker.port)], saying: "server.https.port: port \(blocker.port) on 127.0.0.1 is already in use by another process")
        }
        withExtendedLifetime(blocker) {}
    }

    @Test("an expired certificate is refused, naming the entry and the date")
    func expiredCertificate() async throws {
        let expired = TestKeystore.EntrySpec(alias: "steward", validFrom: Date().addingTimeInterval(-30 * 86400), validity: 86400)
        try await TestCluster.with(keystoreEntries: [expired]) { cluster in
            try await expectRefused(cluster, "node-a", saying: "server.key.alias: keystore", "the certificate of entry 'steward' (CN=steward) expired on")
        }
    }

    @Test("a database that holds another application's tables is refused")
    func foreignDatabase() async throws {
        try await TestCluster.with { cluster in
            try await cluster.database.execute("CREATE TABLE customers (id int)")
            try await expectRefused(cluster, "node-a", saying: "the database is not empty and holds no Steward schema (it has public.customers")
            #expect(!FileManager.default.fileExists(atPath: cluster.appData + "/cluster.id"))
        }
    }

    @Test("a database schema newer than the binary is refused with an instruction to upgrade")
    func newerSchema() async throws {
        try await TestCluster.with { cluster in
            let first = try await cluster.start("node-a")
            await first.stop()
            try await cluster.database.execute("""
                INSERT INTO steward_schema_migrations (version, name, checksum, applied_by) VALUES (999, 'from the future', 'x', '9.0.0');
                """)
            try await cluster.database.execute("UPDATE cluster SET schema_version = 999, software_version = '9.0.0'")
            try await expectRefused(cluster, "node-a", saying: "newer than this steward-server", "install the cluster's version of Steward on this node")
        }
    }

    @Test("a cluster that runs a newer Steward refuses an older node")
    func olderSoftware() async throws {
        try await TestCluster.with { cluster in
            let first = try await cluster.start("node-a")
            await first.stop()
            try await cluster.database.execute("UPDATE cluster SET software_version = '9.0.0'")
            try await expectRefused(cluster, "node-b", saying: "the cluster runs Steward 9.0.0 and this node is \(StewardVersion.current); upgrade required")
        }
    }
}
