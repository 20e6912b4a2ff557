import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// Throttling that slows guessing but cannot be turned against the owner: one client locked out of
/// one account, one address locked out of all, an account under a distributed guess slowed, never
/// locked, and a device that has logged in before never locked out by anyone else's failures.
@Suite("Login throttling: per client and address, never a lockout of the owner")
struct LoginThrottlingTests {
    /// Nodes that believe loopback's X-Forwarded-For, so a test can speak for many addresses.
    static let behindProxy: [String: String?] = ["server.trusted.proxies": "127.0.0.1"]

    func attempt(_ cluster: TestCluster, _ node: ServerProcess, _ username: String, _ password: String,
                 from address: String? = nil, device: String? = nil) async throws -> StewardClient.RawResponse {
        try await cluster.client(node).raw(
            .POST, "/api/v1/auth/login",
            body: try JSONEncoder().encode(LoginRequest(username: username, password: password, token: .init(name: "t", expiresInDays: 1), device: device)),
            headers: address.map { [("X-Forwarded-For", $0)] } ?? [])
    }

    func auditCounts(_ cluster: TestCluster) async throws -> [String: Int] {
        let entries = try await cluster.database.withConnection { connection, logger in
            try await connection.query("SELECT action, count(*)::int FROM audit_log GROUP BY action", logger: logger).collect()
                .map { try $0.decode((String, Int).self) }
        }
        return Dictionary(uniqueKeysWithValues: entries)
    }

    @Test("one client guessing through three nodes at once is refused at exactly the limit; the owner elsewhere logs in")
    func clientLockout() async throws {
        try await TestCluster.with { cluster in
            let extra = Self.behindProxy.merging(["security.login.max.failures": "5"]) { $1 }
            let nodes = try await [cluster.start("node-a", extra: extra), cluster.start("node-b", extra: extra), cluster.start("node-c", extra: extra)]
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<9 {
                    let node = nodes[index % 3]
                    group.addTask { try await attempt(cluster, node, "admin", "guess-\(index)-wrong", from: "198.51.100.7").status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count == 5, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == 4, "\(statuses)")
            // That client is refused even with the right password, on every node, and told when to retry.
            for node in nodes {
                let refused = try await attempt(cluster, node, "admin", TestCluster.adminPassword, from: "198.51.100.7")
                #expect(refused.status == 429)
                #expect(refused.headers.contains { $0.0.lowercased() == "retry-after" })
                #expect(refused.text.contains("or from a device that has logged in before"))
            }
            // The owner, from anywhere else, is not.
            #expect(try await attempt(cluster, nodes[1], "admin", TestCluster.adminPassword, from: "203.0.113.50").status == 200)
            let counts = try await auditCounts(cluster)
            #expect(counts["login.failed"] == 1, "a client's first failure is audited, not each: \(counts)")
            #expect(counts["login.locked"] == 1, "\(counts)")
        }
    }

    @Test("an unknown user and a wrong password get the same status, body and (bcrypt) time")
    func indistinguishable() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a", extra: [
                "security.bcrypt.cost": "10", "security.login.max.failures": "50", "security.login.max.failures.per.address": "100",
            ])
            var known: [Duration] = []
            var unknown: [Duration] = []
            var bodies: Set<String> = []
            var statuses: Set<Int> = []
            for round in 0..<6 {
                for (user, collect) in [("admin", true), ("nobody-\(round)", false)] {
                    let started = ContinuousClock.now
                    let response = try await attempt(cluster, node, user, "wrong-password")
                    let elapsed = ContinuousClock.now - started
                    if collect { known.append(elapsed) } else { unknown.append(elapsed) }
                    bodies.insert(response.text)
                    statuses.insert(response.status)
                }
            }
            #expect(statuses == [401])
            #expect(bodies.count == 1, "\(bodies)")
            let median = { (values: [Duration]) in values.sorted()[values.count / 2].inSeconds }
            // Both paths run bcrypt; without the decoy an unknown name would answer many times faster.
            let ratio = median(unknown) / median(known)
            #expect(ratio > 0.5 && ratio < 2.0, "unknown/known median time ratio \(ratio): \(unknown) vs \(known)")
        }
    }

    @Test("X-Forwarded-For counts only from a trusted proxy; an address is limited across accounts; IPv6 counts by /64")
    func addresses() async throws {
        try await TestCluster.with { cluster in
            let untrusting = try await cluster.start("node-a", extra: ["security.login.max.failures.per.address": "3"])
            // A client that forges X-Forwarded-For still counts as itself: refused after 3 failures, whatever the name.
            for index in 0..<3 { _ = try await attempt(cluster, untrusting, "u\(index)", "x", from: "203.0.113.\(index)") }
            #expect(try await attempt(cluster, untrusting, "someone-else", "x").status == 429)
            let keys = try await cluster.database.withConnection { connection, logger in
                try await connection.query("SELECT DISTINCT key FROM login_failures WHERE scope = 'address'", logger: logger).collect()
                    .map { try $0.decode(String.self) }
            }
            #expect(keys == ["127.0.0.1"])
        }
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a", extra: Self.behindProxy.merging(["security.login.max.failures.per.address": "3"]) { $1 })
            for host in ["a", "b", "c"] { _ = try await attempt(cluster, node, "v6-\(host)", "x", from: "2001:db8:1:2::\(host)") }
            #expect(try await attempt(cluster, node, "v6-d", "x", from: "2001:db8:1:2:ffff::1").status == 429, "the same /64")
            #expect(try await attempt(cluster, node, "v6-e", "x", from: "2001:db8:1:3::1").status == 401, "another /64")
        }
    }

    @Test("a device that has logged in before gets in from a locked address; its own failures lock only itself")
    func knownDevice() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a", extra: Self.behindProxy.merging(["security.login.max.failures": "3"]) { $1 })
            let first = try await attempt(cluster, node, "admin", TestCluster.adminPassword, from: "192.0.2.10")
            let login = try first.decode(LoginResponse.self)
            let device = try #require(login.device)
            if let token = login.token?.secret { cluster.neverLog(token) }
            cluster.neverLog(device)
            for index in 0..<6 { _ = try await attempt(cluster, node, "admin", "wrong-\(index)", from: "192.0.2.10") }
            #expect(try await attempt(cluster, node, "admin", TestCluster.adminPassword, from: "192.0.2.10").status == 429)
            let withDevice = try await attempt(cluster, node, "admin", TestCluster.adminPassword, from: "192.0.2.10", device: device)
            #expect(withDevice.status == 200, "\(withDevice.text)")
            #expect(try withDevice.decode(LoginResponse.self).device == device, "the device keeps its token")
            // A device token is the account's: for another user, or altered, it is no device at all.
            let forged = String(device.dropLast()) + (device.hasSuffix("A") ? "B" : "A")
            #expect(try await attempt(cluster, node, "admin", TestCluster.adminPassword, from: "192.0.2.10", device: forged).status == 429)
            for index in 0..<3 { _ = try await attempt(cluster, node, "admin", "device-wrong-\(index)", from: "192.0.2.99", device: device) }
            #expect(try await attempt(cluster, node, "admin", TestCluster.adminPassword, from: "192.0.2.99", device: device).status == 429,
                    "the device's own failures lock the device")
            #expect(try await attempt(cluster, node, "admin", TestCluster.adminPassword, from: "192.0.2.99").status == 200,
                    "but not its address for others")
        }
    }

    /// The acceptance run: a thousand wrong guesses for admin through three nodes within 30 s.
    @Test("1,000 wrong logins for admin through three nodes: no node goes offline, the owner logs in from a known device and from a new address")
    func flood() async throws {
        try await TestCluster.with { cluster in
            let nodes = try await [cluster.start("node-a", extra: Self.behindProxy), cluster.start("node-b", extra: Self.behindProxy),
                                   cluster.start("node-c", extra: Self.behindProxy)]
            let first = try await attempt(cluster, nodes[0], "admin", TestCluster.adminPassword, from: "192.0.2.1")
            let device = try #require(try first.decode(LoginResponse.self).device)
            cluster.neverLog(device)
            if let token = try first.decode(LoginResponse.self).token?.secret { cluster.neverLog(token) }
            let admin = try await cluster.adminClient(nodes[0])
            let started = ContinuousClock.now
            let flood = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    var statuses: [Int: Int] = [:]
                    for index in 0..<1000 {
                        if index >= 100 { statuses[try await group.next() ?? 0, default: 0] += 1 }
                        let node = nodes[index % 3]
                        // Half from one address (it gets locked), half spread over many (the account gets slowed).
                        let address = index % 2 == 0 ? "198.51.100.1" : "10.\(index / 250).\(index % 250).1"
                        group.addTask { (try? await attempt(cluster, node, "admin", "flood-\(index)", from: address).status) ?? 0 }
                    }
                    for try await status in group { statuses[status, default: 0] += 1 }
                    return statuses
                }
            }
            // During the flood: the known device, from the flooded address itself, and a new address.
            try await waitFor("the flood to be under way", timeout: .seconds(30)) {
                (try await auditCounts(cluster))["login.locked"] ?? 0 >= 1
            }
            let duringDevice = try await timed { try await attempt(cluster, nodes[1], "admin", TestCluster.adminPassword, from: "198.51.100.1", device: device) }
            #expect(duringDevice.response.status == 200, "\(duringDevice.response.text)")
            let duringNew = try await timed { try await attempt(cluster, nodes[2], "admin", TestCluster.adminPassword, from: "203.0.113.200") }
            #expect(duringNew.response.status == 200, "\(duringNew.response.text)")
            #expect(duringNew.elapsed < .seconds(6), "a new address is slowed a few seconds at most: \(duringNew.elapsed)")
            let statuses = try await flood.value
            let elapsed = ContinuousClock.now - started
            #expect(statuses[401, default: 0] + statuses[429, default: 0] + statuses[503, default: 0] == 1000, "\(statuses)")
            #expect(elapsed < .seconds(60), "the flood took \(elapsed)")
            // Nobody went offline, and every node still heartbeats.
            #expect(try await admin.audit(action: "node.offline").isEmpty)
            for status in try await admin.nodes() { #expect(status.stateCode == .online && status.secondsSinceSeen < 3, "\(status.name): \(status.state)") }
            // After the flood: both again, and the audit log grew by a handful of rows, not a thousand.
            #expect(try await attempt(cluster, nodes[0], "admin", TestCluster.adminPassword, from: "198.51.100.1", device: device).status == 200)
            #expect(try await attempt(cluster, nodes[0], "admin", TestCluster.adminPassword, from: "203.0.113.201").status == 200)
            let audited = try await auditCounts(cluster).filter { $0.key.hasPrefix("login.") }.values.reduce(0, +)
            #expect(audited < 700, "the flood is audited per client, not per attempt: \(audited) rows")
            let counters = try await cluster.database.withConnection { connection, logger in
                try await connection.query("SELECT count(*)::int FROM login_failures", logger: logger).collect().first?.decode(Int.self) ?? 0
            }
            #expect(counters < 2000, "failures are counted per minute and key: \(counters) rows for 1,000 attempts")
        }
    }

    func timed<T>(_ body: () async throws -> T) async throws -> (response: T, elapsed: Duration) {
        let started = ContinuousClock.now
        let response = try await body()
        return (response, ContinuousClock.now - started)
    }
}
