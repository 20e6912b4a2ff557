import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// Failure detection and recovery with real processes: heartbeat 1 s, offline after 4 s.
@Suite("Membership: failures are seen, and nodes come back")
struct MembershipTests {
    func state(of name: String, via client: StewardClient) async throws -> NodeStatus? {
        try await client.nodes().first { $0.name == name }
    }

    func readiness(_ node: ServerProcess) async -> Int {
        (try? await StewardClient(baseURL: node.httpURL, timeout: .seconds(2)).raw(.GET, "/health/ready").status) ?? 0
    }

    @Test("a SIGKILLed node is reported offline by the others within offline.after + one interval")
    func killDetected() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            _ = try await cluster.start("node-b")
            let c = try await cluster.start("node-c")
            let admin = try await cluster.adminClient(a)
            #expect(try await admin.clusterSummary().status == .good)
            let killed = ContinuousClock.now
            await c.kill9()
            try await waitFor("node-c offline", timeout: .seconds(10)) { try await state(of: "node-c", via: admin)?.stateCode == .offline }
            let detection = ContinuousClock.now - killed
            #expect(detection <= .seconds(5) + .milliseconds(500), "seen offline after \(detection)")
            let summary = try await admin.clusterSummary()
            #expect(summary.status == .degraded)
            #expect(summary.onlineNodes == 2)
            // A live node marks it offline in the database, and the change is audited once.
            try await waitFor("the offline audit") {
                try await admin.audit(action: "node.offline").contains { $0.target == "node-c" }
            }
        }
    }

    @Test("a node paused past offline.after is not online when it wakes, and rejoins through the joining steps")
    func pausedNodeRejoins() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            let agent = try await TestAgentIdentity.enroll(admin: admin, name: "probe")
            b.signal(SIGSTOP)
            try await waitFor("node-b offline", timeout: .seconds(10)) { try await state(of: "node-b", via: admin)?.stateCode == .offline }
            // Hold node-b's row so that, once awake, it cannot rejoin until the test lets it: what it
            // does in between is then observable, not a race.
            try await cluster.database.holding("SELECT 1 FROM nodes WHERE name = 'node-b' FOR UPDATE") {
                b.signal(SIGCONT)
                // Awake, but its lease ran out while it slept and it cannot renew it: not online, and it says why.
                try await waitFor("node-b to say why it takes no work") { b.output.contains("not taking work: no successful heartbeat") }
                #expect(await readiness(b) == 503)
                let welcome = try? await WebSocketProbe.exchange(url: b.webSocketURL + "/ws/agent", identity: agent, send: [agent.hello],
                                                                 expecting: 1, timeout: .seconds(2))
                #expect(welcome?.first?.contains(#""code":"not-online""#) == true, "no agent is accepted by a node that is not online: \(welcome ?? [])")
            }
            try await b.waitUntilReady(timeout: .seconds(20))
            // node-a's node list may be up to a quarter second old (NodeStatusSnapshot).
            try await waitFor("node-a to list node-b online", timeout: .seconds(3)) {
                try await state(of: "node-b", via: admin)?.stateCode == .online
            }
            for step in ["checking appdata (1/4)", "checking schema (2/4)", "registering (3/4)", "catching up (4/4)"] {
                #expect(b.output.contains("rejoining: \(step)"), "\(step)")
            }
            let trail = try await admin.audit(limit: 200).filter { $0.target == "node-b" }.reversed().map(\.action)
            let offline = try #require(trail.firstIndex(of: "node.offline"))
            #expect(trail[offline...].contains("node.joining"), "\(trail)")
            #expect(trail.last == "node.online", "\(trail)")
        }
    }

    @Test("PostgreSQL restarted: every node goes offline while it is gone and comes back online by itself")
    func databaseRestart() async throws {
        try await TestPostgres.withPrivate { postgres in
            try await TestCluster.with(postgres: postgres) { cluster in
                let a = try await cluster.start("node-a")
                let b = try await cluster.start("node-b")
                try await postgres.restart(downtime: .seconds(6))
                for node in [a, b] { try await node.waitUntilReady(timeout: .seconds(30)) }
                #expect(a.isRunning && b.isRunning)
                let summary = try await cluster.adminClient(a).clusterSummary()
                #expect(summary.status == .good, "\(summary.nodes.map { "\($0.name): \($0.state)" })")
                for node in [a, b] {
                    #expect(node.output.contains("not taking work: no successful heartbeat"), "\(node.name) went out of service during the outage")
                }
            }
        }
    }

    @Test("SIGTERM while PostgreSQL is down: the node still exits 0 within its bound and says it could not mark itself stopped")
    func shutdownWithoutDatabase() async throws {
        try await TestPostgres.withPrivate { postgres in
            try await TestCluster.with(postgres: postgres) { cluster in
                let node = try await cluster.start("node-a")
                async let outage: Void = postgres.restart(downtime: .seconds(15))  // cancelled and awaited if the test throws
                try await waitFor("the node to notice the outage", timeout: .seconds(20)) {
                    node.output.contains("not taking work: no successful heartbeat")
                }
                let started = ContinuousClock.now
                node.signal(SIGTERM)
                #expect(try await node.waitForExit(timeout: .seconds(30)) == 0, "\(node.output.suffix(3000))")
                #expect(ContinuousClock.now - started < .seconds(20))
                #expect(node.output.contains("could not mark the node stopped in the database"))
                try await outage
            }
        }
    }

    @Test("a 21st node is refused and leaves no row behind")
    func sizeLimit() async throws {
        try await TestCluster.with { cluster in
            _ = try await cluster.start("node-a")
            _ = try await cluster.start("node-b")
            // Eighteen more members, offline but not decommissioned: twenty in all.
            try await cluster.database.execute("""
                INSERT INTO nodes (node_id, name, host, http_port, https_port, websocket_port, software_version, state, pid, last_seen)
                SELECT gen_random_uuid(), 'absent-' || i, 'elsewhere', 1, 2, 3, '0.1.0', 'offline', 1, now() - interval '1 hour'
                FROM generate_series(1, 18) AS i
                """)
            try await expectRefused(cluster, "node-21", saying: "the cluster already has 20 nodes, its limit (cluster.max.nodes = 20)")
            let rows = try await cluster.database.withConnection { connection, logger in
                try await connection.query("SELECT count(*)::int FROM nodes WHERE name = 'node-21'", logger: logger).collect().first?.decode(Int.self)
            }
            #expect(rows == 0)
        }
    }

    @Test("decommission: refused for an online node and for the node asked; an offline one is kept as decommissioned; --rejoin brings it back")
    func decommission() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            await #expect { try await admin.decommission("node-b") } throws: { "\($0)".contains("node-b is online; only an offline node can be decommissioned") }
            await #expect { try await admin.decommission("node-a") } throws: { "\($0)".contains("a node cannot decommission itself") }
            await b.stop()
            let done = try await admin.decommission("node-b")
            #expect(done.stateCode == .decommissioned)
            #expect(try await admin.audit(action: "node.decommission").first?.actor == "admin")
            try await expectRefused(cluster, "node-b", saying: "node node-b was decommissioned; to bring it back, start it with --rejoin")
            _ = try await cluster.start("node-b", arguments: ["--rejoin"])
            // The node list may be a quarter second old (NodeStatusSnapshot).
            try await waitFor("node-b online again, through node-a", timeout: .seconds(5)) {
                try await state(of: "node-b", via: admin)?.stateCode == .online
            }
        }
    }

    @Test("a node with another master key is refused, naming both fingerprints")
    func masterKeyMismatch() async throws {
        try await TestCluster.with { cluster in
            let first = try cluster.folder.write("keys/first.key", "first-master-key-0123456789-abcdefghij", permissions: 0o600)
            let second = try cluster.folder.write("keys/second.key", "second-master-key-9876543210-abcdefghi", permissions: 0o600)
            _ = try await cluster.start("node-a", extra: ["server.master.key.file": first])
            let output = try await expectRefused(cluster, "node-b", extra: ["server.master.key.file": second], saying: "this node's master key (server.master.key.file) has fingerprint hmac-sha256:", "but the cluster's is hmac-sha256:")
            #expect(!output.contains("first-master-key") && !output.contains("second-master-key"))
            try await expectRefused(cluster, "node-c", extra: ["server.master.key.file": nil], saying: "server.master.key.file: is required")
            let short = try cluster.folder.write("keys/short.key", "too short", permissions: 0o600)
            try await expectRefused(cluster, "node-e", extra: ["server.master.key.file": short], saying: "holds 9 bytes; a master key needs at least 32")
            _ = try await cluster.start("node-d", extra: ["server.master.key.file": first])
        }
    }

    @Test("drain: not ready at once, agents told to reconnect elsewhere, then offline (drained)")
    func drain() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            let identity = try await TestAgentIdentity.enroll(admin: admin, name: "probe")
            let agent = Task {
                try await WebSocketProbe.exchange(url: b.webSocketURL + "/ws/agent", identity: identity, send: [identity.hello], expecting: 2,
                                                  timeout: .seconds(20))
            }
            try await waitFor("the agent on node-b") { try await state(of: "node-b", via: admin)?.agentsConnected == 1 }
            _ = try await admin.drain("node-b")
            let messages = try await agent.value
            #expect(messages.count == 2 && messages[1].contains(#""type":"reconnect""#), "\(messages)")
            try await waitFor("node-b drained") { try await state(of: "node-b", via: admin)?.detail == "drained" }
            #expect(await readiness(b) == 503)
            #expect(b.isRunning)
            #expect(try await state(of: "node-b", via: admin)?.stateCode == .offline)
        }
    }

    @Test("SIGTERM drains first: readiness is 503 while the listeners are still open")
    func shutdownDrains() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a", extra: ["server.shutdown.drain.delay": "5s"])
            node.signal(SIGTERM)
            try await waitFor("readiness to turn 503", timeout: .seconds(4)) { await readiness(node) == 503 }
            #expect(node.isRunning)
            #expect(try await node.waitForExit(timeout: .seconds(20)) == 0)
        }
    }

    @Test("clock skew: 2 s is reported and warned about; 90 s takes the node out of service, saying why")
    func clockSkew() async throws {
        // libfaketime shifts only the node's wall clock; the database keeps the true time.
        let faketime = "/usr/bin/faketime"
        try #require(FileManager.default.isExecutableFile(atPath: faketime), "faketime is needed (Debian package faketime; Scripts/test installs it)")
        let monotonicUntouched = ["FAKETIME_DONT_FAKE_MONOTONIC": "1"]
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(a)
            let slightly = try await cluster.start("node-b", environment: monotonicUntouched, wrapper: [faketime, "-f", "+2s"])
            try await waitFor("node-b's skew") { (try await state(of: "node-b", via: admin)?.clockSkewMilliseconds ?? 0) > 1500 }
            #expect(try await state(of: "node-b", via: admin)?.stateCode == .online)
            // The log is read from a pipe, so give the line a moment to arrive.
            try await waitFor("node-b's skew warning") { slightly.output.contains("clock differs from the database's by 2s") }
            let far = try cluster.launch("node-c", environment: monotonicUntouched, wrapper: [faketime, "-f", "-90s"])
            try await far.waitUntilLive()
            try await waitFor("node-c out of service") { try await state(of: "node-c", via: admin)?.detail.contains("clock differs") == true }
            #expect(await readiness(far) == 503)
            #expect(far.output.contains("state: offline (clock differs from the database by 90s)"), "\(far.output.suffix(2000))")
            let ready = try await StewardClient(baseURL: far.httpURL).raw(.GET, "/health/ready")
            #expect(ready.text.contains("clock differs from the database by 90s"), "\(ready.text)")
            // Out of service is not stuck: it still shuts down cleanly, wrapper and all.
            far.signal(SIGTERM)
            try await far.waitForExit(timeout: .seconds(20))  // the status is faketime's, which SIGTERM ends at once
            #expect(far.output.contains("[steward.server] stopped"), "\(far.output.suffix(2000))")
        }
    }
}
