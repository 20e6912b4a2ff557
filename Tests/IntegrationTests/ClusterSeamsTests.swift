import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// Cluster settings changed live through one node and obeyed by all; a process whose incarnation
/// is no longer the node's is refused and takes no work; release builds carry no test switches.
@Suite("Cluster seams: live settings, fenced incarnations, no test switches in release builds")
struct ClusterSeamsTests {
    func status(_ name: String, via client: StewardClient) async throws -> NodeStatus? {
        try await client.nodes().first { $0.name == name }
    }

    func readiness(_ node: ServerProcess) async -> Int {
        (try? await StewardClient(baseURL: node.httpURL, timeout: .seconds(2)).raw(.GET, "/health/ready").status) ?? 0
    }

    @Test("stewardctl cluster settings set through node A: every node uses it within a heartbeat, a conflicting local value loses, and detection follows it")
    func liveSettings() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let token = try #require(try await cluster.adminClient(a).token)
            let environment = ["STEWARD_URL": a.httpsURL, "STEWARD_CA_FILE": cluster.caFile, "STEWARD_TOKEN": token,
                               "STEWARD_CONFIG": cluster.folder.file("none.json")]
            func ctl(_ arguments: [String]) async throws -> Shell.Output { try await Binaries.stewardctl(arguments, environment: environment) }

            let refused = try await ctl(["cluster", "settings", "set", "cluster.node.offline.after", "1500ms"])
            #expect(refused.status == 1)
            #expect(refused.output.contains("must be at least twice cluster.heartbeat.interval (1s)"), "\(refused.output)")
            let set = try await ctl(["cluster", "settings", "set", "cluster.node.offline.after", "6s"])
            #expect(set.status == 0, "\(set.output)")
            #expect(set.output.contains("cluster.node.offline.after is now 6s"))
            try await waitFor("node-b to apply the change", timeout: .seconds(3)) {
                b.output.contains("cluster settings changed: cluster.node.offline.after=6s")
            }
            let listed = try JSONDecoder.iso.decode([ClusterSettingInfo].self, from: Data(try await ctl(["cluster", "settings", "list", "--json"]).output.utf8))
            #expect(listed.first { $0.key == "cluster.node.offline.after" }?.updatedBy == "admin")
            let shown = try await ctl(["cluster", "settings", "get", "cluster.node.offline.after"])
            #expect(shown.output.contains("6s") && shown.output.contains("the others take over its work"), "\(shown.output)")
            #expect(try await cluster.adminClient(a).audit(action: "cluster.setting").first?.target == "cluster.node.offline.after")

            let c = try await cluster.start("node-c", extra: ["cluster.node.offline.after": "20s"])
            #expect(c.output.contains("cluster.node.offline.after=20s is overridden by the cluster's value 6s"), "\(c.output)")
            let viaC = try await cluster.adminClient(c)
            let killed = ContinuousClock.now
            await b.kill9()
            try await waitFor("node-b offline, seen through node-c", timeout: .seconds(15)) {
                try await status("node-b", via: viaC)?.stateCode == .offline
            }
            let detection = ContinuousClock.now - killed
            #expect(detection > .milliseconds(4500), "the old 4 s limit was not used: \(detection)")
            #expect(detection <= .seconds(7) + .milliseconds(500), "within 6 s plus one heartbeat interval: \(detection)")
        }
    }

    @Test("a node paused past offline.after and decommissioned: awake, its writes are refused by incarnation, it takes no work and says why")
    func pausedThenDecommissioned() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            let agent = try await TestAgentIdentity.enroll(admin: admin, name: "probe")
            let running = try #require(try await status("node-b", via: admin)).incarnation
            b.signal(SIGSTOP)
            try await waitFor("node-b offline", timeout: .seconds(10)) { try await status("node-b", via: admin)?.stateCode == .offline }
            let decommissioned = try await admin.decommission("node-b")
            #expect(decommissioned.stateCode == .decommissioned)
            #expect(decommissioned.incarnation != running, "decommissioning fences the process that was running")
            let auditBefore = try await admin.audit(limit: 500).count
            b.signal(SIGCONT)
            try await waitFor("node-b to say why it stopped", timeout: .seconds(10)) {
                b.output.contains("(incarnation \(running)) was decommissioned while it was away") && b.output.contains("takes no more work")
            }
            #expect(await readiness(b) == 503)
            // The woken process answers as soon as it is scheduled; in CI's parallel phase that can take seconds.
            let welcome: [String]
            do { welcome = try await WebSocketProbe.exchange(url: b.webSocketURL + "/ws/agent", identity: agent, send: [agent.hello], expecting: 1) }
            catch { welcome = ["no answer: \(error)"] }
            #expect(welcome.first?.contains(#""code":"not-online""#) == true, "a fenced node accepts no agent: \(welcome)")
            #expect(try await WebSocketProbe.exchange(url: a.webSocketURL + "/ws/agent", identity: agent, send: [agent.hello], expecting: 1)
                .first?.contains("welcome") == true, "the same agent is welcome on an online node")
            try await Task.sleep(for: .seconds(2))  // two more heartbeats' time: none of them may write
            let row = try #require(try await status("node-b", via: admin))
            #expect(row.stateCode == .decommissioned)
            #expect(row.incarnation == decommissioned.incarnation)
            #expect(row.lastSeen == decommissioned.lastSeen, "the woken process wrote nothing")
            let trail = try await admin.audit(limit: 500)
            #expect(trail.count == auditBefore, "nothing audited by the stale process: \(trail.prefix(trail.count - auditBefore).map(\.action))")
            #expect(b.isRunning)
        }
    }

    @Test("a node paused and started again elsewhere: the old process is fenced by the new incarnation and overwrites nothing")
    func pausedThenReplaced() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let old = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            old.signal(SIGSTOP)
            try await waitFor("node-b offline", timeout: .seconds(10)) { try await status("node-b", via: admin)?.stateCode == .offline }
            // As if started on another host: there, the paused process's lock file would not be seen.
            try FileManager.default.removeItem(atPath: cluster.appData + "/logs/node-b/server.lock")
            let replacement = try await cluster.start("node-b-again", extra: ["server.node.name": "node-b"])
            // The node list is read at most once per quarter second (NodeStatusSnapshot): wait for the join to show.
            try await waitFor("node-b online again, through node-a", timeout: .seconds(5)) {
                try await status("node-b", via: admin)?.stateCode == .online
            }
            let current = try #require(try await status("node-b", via: admin))
            old.signal(SIGCONT)
            try await waitFor("the old process to say it was replaced", timeout: .seconds(10)) {
                old.output.contains("has replaced this process (incarnation")
            }
            #expect(await readiness(old) == 503)
            #expect(await readiness(replacement) == 200)
            try await Task.sleep(for: .seconds(2))
            let after = try #require(try await status("node-b", via: admin))
            #expect(after.incarnation == current.incarnation)
            #expect(after.stateCode == .online)
            #expect(after.httpPort == replacement.httpPort, "the row is still the replacement's")
        }
    }

    @Test("STEWARD_TEST_PRETEND_NEXT_VERSION works in a debug build and does nothing in a release build",
          .enabled(if: Binaries.release("steward-server") != nil,
                   "needs a release build of the server: Scripts/test makes it (swift build -c release --product steward-server)"))
    func noTestSwitchesInRelease() async throws {
        let pretend = ["STEWARD_TEST_PRETEND_NEXT_VERSION": "1"]
        try await TestCluster.with { cluster in
            let node = try await cluster.start("release", environment: pretend, binary: Binaries.release("steward-server"))
            let info = try await cluster.adminClient(node).clusterInfo()
            #expect(info.softwareVersion == StewardVersion.release.description)
            #expect(!node.output.contains("STEWARD_TEST_PRETEND_NEXT_VERSION is set"))
        }
        try await TestCluster.with { cluster in
            let node = try await cluster.start("debug", environment: pretend)
            let info = try await cluster.adminClient(node).clusterInfo()
            #expect(info.softwareVersion != StewardVersion.release.description, "the debug build does pretend: the switch is real")
        }
    }
}
