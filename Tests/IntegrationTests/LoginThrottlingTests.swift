import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("Login throttling and failures that reveal nothing")
struct LoginThrottlingTests {
    func attempt(_ node: ServerProcess, _ username: String, _ password: String) async throws -> StewardClient.RawResponse {
        try await StewardClient(baseURL: node.httpURL).raw(
            .POST, "/api/v1/auth/login", body: try JSONEncoder().encode(LoginRequest(username: username, password: password)))
    }

    @Test("a brute force spread over three nodes is locked out at exactly the configured count")
    func clusterWideLockout() async throws {
        try await TestCluster.with { cluster in
            let limits: [String: String?] = ["security.login.max.failures": "5"]
            let nodes = try await [cluster.start("node-a", extra: limits), cluster.start("node-b", extra: limits),
                                   cluster.start("node-c", extra: limits)]
            // Nine wrong guesses at once, three on each node.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<9 {
                    let node = nodes[index % 3]
                    group.addTask { try await attempt(node, "admin", "guess-\(index)-wrong").status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count == 5, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == 4, "\(statuses)")
            // Locked: even the right password is refused now, on every node.
            for node in nodes {
                let response = try await attempt(node, "admin", TestCluster.adminPassword)
                #expect(response.status == 429)
                #expect(response.headers.contains { $0.0.lowercased() == "retry-after" })
            }
            let entries = try await cluster.database.withConnection { connection, logger in
                try await connection.query("SELECT action, count(*)::int FROM audit_log GROUP BY action", logger: logger).collect()
                    .map { try $0.decode((String, Int).self) }
            }
            let counts = Dictionary(uniqueKeysWithValues: entries)
            #expect(counts["login.failed"] == 5)
            #expect(counts["login.locked"] == 1)
            #expect(counts["login.refused"] == 7)
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
                    let response = try await attempt(node, user, "wrong-password")
                    let elapsed = ContinuousClock.now - started
                    if collect { known.append(elapsed) } else { unknown.append(elapsed) }
                    bodies.insert(response.text)
                    statuses.insert(response.status)
                }
            }
            #expect(statuses == [401])
            #expect(bodies.count == 1, "\(bodies)")
            let median = { (values: [Duration]) in values.sorted()[values.count / 2] }
            // Both paths run bcrypt; without the decoy an unknown name would answer many times faster.
            let ratio = Double(median(unknown).components.attoseconds + median(unknown).components.seconds * 1_000_000_000_000_000_000)
                / Double(median(known).components.attoseconds + median(known).components.seconds * 1_000_000_000_000_000_000)
            #expect(ratio > 0.5 && ratio < 2.0, "unknown/known median time ratio \(ratio): \(unknown) vs \(known)")
        }
    }

    @Test("X-Forwarded-For counts only when the direct peer is a trusted proxy")
    func forwardedForTrust() async throws {
        try await TestCluster.with { cluster in
            let untrusting = try await cluster.start("node-a", extra: ["security.login.max.failures.per.address": "3", "security.login.max.failures": "50"])
            // A client that forges X-Forwarded-For still counts as itself: locked after 3 failures.
            for index in 0..<3 {
                _ = try await StewardClient(baseURL: untrusting.httpURL).raw(
                    .POST, "/api/v1/auth/login", body: try JSONEncoder().encode(LoginRequest(username: "u\(index)", password: "x")),
                    headers: [("X-Forwarded-For", "203.0.113.\(index)")])
            }
            let locked = try await attempt(untrusting, "someone-else", "x")
            #expect(locked.status == 429)
            let sources = try await cluster.database.withConnection { connection, logger in
                try await connection.query("SELECT DISTINCT source_address FROM login_attempts", logger: logger).collect().map { try $0.decode(String.self) }
            }
            #expect(sources == ["127.0.0.1"])
        }
    }
}
