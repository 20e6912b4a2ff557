import Foundation
import PostgresNIO
import StewardClient
import StewardTesting
import Testing

@Suite("Running a node: TLS identity, log levels, shutdown, config check")
struct NodeOperationsTests {
    @Test("with two keystore entries, the node presents the one named by server.key.alias on HTTPS; the agent port presents the cluster CA's certificate for the node")
    func aliasSelection() async throws {
        let entries: [TestKeystore.EntrySpec] = [.init(alias: "alpha"), .init(alias: "beta")]
        try await TestCluster.with(keystoreEntries: entries) { cluster in
            let beta = try await cluster.start("node-b", extra: ["server.key.alias": "beta"])
            #expect(try TLSProbe.subject(await TLSProbe.peerCertificate(port: beta.httpsPort)) == "CN=beta")
            #expect(try TLSProbe.subject(await TLSProbe.peerCertificate(port: beta.webSocketPort)) == "CN=node-b")
            // Without an alias, a keystore with two entries is ambiguous.
            try await expectRefused(cluster, "node-c", saying: "several key entries; choose one with server.key.alias")
        }
        try await TestCluster.with(keystoreEntries: entries) { cluster in
            let alpha = try await cluster.start("node-a", extra: ["server.key.alias": "alpha"])
            #expect(try TLSProbe.subject(await TLSProbe.peerCertificate(port: alpha.httpsPort)) == "CN=alpha")
        }
    }

    @Test("a node presenting another certificate than the cluster's is refused, naming both fingerprints")
    func certificateMismatch() async throws {
        let entries: [TestKeystore.EntrySpec] = [.init(alias: "alpha"), .init(alias: "beta")]
        try await TestCluster.with(keystoreEntries: entries) { cluster in
            _ = try await cluster.start("node-a", extra: ["server.key.alias": "alpha"])
            try await expectRefused(cluster, "node-b", extra: ["server.key.alias": "beta"], saying: "this node presents certificate sha256:", "but the cluster's nodes present sha256:")
            // After replacing the certificate for the whole cluster, one node records the new one.
            _ = try await cluster.start("node-b", extra: ["server.key.alias": "beta"], arguments: ["--accept-new-certificate"])
        }
    }

    @Test("a change to log4j.properties takes effect without a restart")
    func liveLogLevel() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let client = cluster.client(node)
            let log = cluster.logFile(of: "node-a")
            let configuration = cluster.appData + "/conf/server/log4j.properties"
            let original = try String(contentsOfFile: configuration, encoding: .utf8)

            _ = try await client.raw(.GET, "/api/v1/marker-before")
            try (original + "\nlog4j.logger.steward.http=DEBUG\n").write(toFile: configuration, atomically: true, encoding: .utf8)
            try await waitFor("the reload", in: log, count: 1, text: "log levels reloaded")
            _ = try await client.raw(.GET, "/api/v1/marker-debug")
            try await waitFor("the debug request line", in: log, count: 1, text: "GET /api/v1/marker-debug 404")

            try original.write(toFile: configuration, atomically: true, encoding: .utf8)
            try await waitFor("the second reload", in: log, count: 2, text: "log levels reloaded")
            _ = try await client.raw(.GET, "/api/v1/marker-after")
            _ = try await client.raw(.GET, "/health/live")
            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(!text.contains("marker-before"), "INFO level: no request lines")
            #expect(!text.contains("marker-after"), "back to INFO: no request lines")
        }
    }

    @Test("a broken log4j.properties keeps the previous levels and says why")
    func brokenLogConfiguration() async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.start("node-a")
            let configuration = cluster.appData + "/conf/server/log4j.properties"
            try "log4j.rootLogger=LOUD\n".write(toFile: configuration, atomically: true, encoding: .utf8)
            try await waitFor("the error", in: cluster.logFile(of: "node-a"), count: 1,
                              text: "log configuration not applied; keeping the previous levels")
            let text = try String(contentsOfFile: cluster.logFile(of: "node-a"), encoding: .utf8)
            #expect(text.contains("'LOUD' is not a level"))
        }
    }

    @Test("SIGTERM: new connections are refused, the request in flight completes, the row says stopped, exit 0")
    func gracefulShutdown() async throws {
        try await TestCluster.with { cluster in
            // The request in flight waits on a lock: long enough, however slowly the test gets to SIGTERM.
            let node = try await cluster.start("node-a", extra: ["database.lock.timeout": "60s"])
            let client = try await cluster.adminClient(node)
            // Hold a lock on the cluster row so that /api/v1/cluster/info waits in the database.
            let inFlight = try await cluster.database.holding("LOCK TABLE cluster IN ACCESS EXCLUSIVE MODE") {
                let request = Task { try await client.raw(.GET, "/api/v1/cluster/info") }
                try await Task.sleep(for: .milliseconds(500))
                node.signal(SIGTERM)
                try await waitFor("the HTTP listener to close", timeout: .seconds(5)) { !isListening(port: node.httpPort) }
                #expect(node.isRunning, "the node waits for the request in flight")
                return request
            }
            let response = try await inFlight.value
            #expect(response.status == 200, "\(response.text)")
            #expect(try await node.waitForExit(timeout: .seconds(20)) == 0)
            let state = try await cluster.database.withConnection { connection, logger in
                try await connection.query("SELECT state, state_detail, stopped_at IS NOT NULL FROM nodes WHERE name = 'node-a'", logger: logger)
                    .collect().first?.decode((String, String, Bool).self)
            }
            #expect(state?.0 == "offline")
            #expect(state?.1 == "stopped")
            #expect(state?.2 == true)
            #expect(node.output.contains("stopped"))
        }
    }

    @Test("passwords given inline never reach the log file or the output, even at TRACE level")
    func noSecretsInLogs() async throws {
        try await TestCluster.with { cluster in
            let configuration = cluster.appData + "/conf/server/log4j.properties"
            try "log4j.rootLogger=TRACE\n".write(toFile: configuration, atomically: true, encoding: .utf8)
            let databasePassword = cluster.database.server.password
            let node = try await cluster.start("node-a", extra: [
                "database.password.file": nil, "database.password": databasePassword,
                "server.keystore.password.file": nil, "server.keystore.password": TestCluster.keystorePassword,
            ])
            _ = try await cluster.adminClient(node).clusterInfo()
            await node.stop()
            // A refused start with a wrong password must not echo it either.
            let (status, refusal) = try await cluster.refusal("node-b", extra: [
                "database.password.file": nil, "database.password": "wrong-\(databasePassword)",
            ])
            #expect(status == 1)
            let everything = try String(contentsOfFile: cluster.logFile(of: "node-a"), encoding: .utf8) + node.output + refusal
                + ((try? String(contentsOfFile: cluster.logFile(of: "node-b"), encoding: .utf8)) ?? "")
            #expect(everything.contains("TRACE") || everything.contains("DEBUG"), "the test ran at a verbose level")
            #expect(!everything.contains(databasePassword))
            #expect(!everything.contains(TestCluster.keystorePassword))
        }
    }

    @Test("--check-config reports each check and exits 0 when all pass, 1 when one fails")
    func checkConfig() async throws {
        try await TestCluster.with { cluster in
            let good = try cluster.launch("node-a", arguments: ["--check-config"])
            #expect(try await good.waitForExit() == 0, "\(good.output)")
            for check in ["configuration", "ports", "keystore", "appdata", "log settings", "database"] {
                #expect(good.output.contains("ok   \(check):"), "\(check) in \(good.output)")
            }
            #expect(good.output.contains("no cluster yet: this node would create it"))
            #expect(!FileManager.default.fileExists(atPath: cluster.appData + "/cluster.id"), "checking changes nothing")

            let bad = try cluster.launch("node-b", extra: ["server.keystore.password.file": nil, "server.keystore.password": "wrong"],
                                         arguments: ["--check-config"])
            #expect(try await bad.waitForExit() == 1)
            #expect(bad.output.contains("FAIL keystore:"), "\(bad.output)")
            #expect(bad.output.contains("ok   database:"), "the other checks still run")
        }
    }
}
