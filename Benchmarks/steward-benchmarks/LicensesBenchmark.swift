import ArgumentParser
import Synchronization
import Foundation
import StewardClient
import StewardLicense
import StewardModel
import StewardTesting

/// Seat grants through three real nodes under contention: users stored disabled are enabled
/// through the API (`PATCH /users/{name}`, each enable takes a seat under the seat row's lock),
/// many at once, spread over the three nodes, until the license runs out. Enabling is the grant
/// path without a bcrypt hash (creating a user hashes its password first, which is the node's CPU,
/// not the grant). At the end the database's count is checked: not one seat over.
struct LicensesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "licenses",
        abstract: "Seat grants per second through three nodes under contention, checked for zero over-allocation.",
        discussion: "Needs a release build of the server (swift build -c release --product steward-server).")

    @Option(help: "Licensed user seats (one is the first admin's).") var seats = 10_000
    @Option(help: "Users asking for a seat (more than the seats, so the last ones are refused).") var users = 12_000
    @Option(help: "Requests in flight at once, spread over the three nodes.") var concurrency = 96
    @Option(help: "The server binary (default: the release build).") var binary: String?

    func run() async throws {
        guard let server = binary ?? Binaries.release("steward-server") else {
            throw ValidationError("no release build: run `swift build -c release --product steward-server` first (or pass --binary)")
        }
        try await TestCluster.with { cluster in
            let issuer = LicenseSigningKey(comment: "benchmark")
            try FileManager.default.createDirectory(atPath: cluster.appData + "/conf/license-issuers", withIntermediateDirectories: true)
            try issuer.publicKey.text.write(toFile: cluster.appData + "/conf/license-issuers/bench.pub", atomically: true, encoding: .utf8)
            var nodes: [ServerProcess] = []
            for name in ["node-a", "node-b", "node-c"] { nodes.append(try await cluster.start(name, extra: ["database.pool.size": "20"], binary: server)) }
            let admin = try await cluster.adminClient(nodes[0])
            let clients = nodes.map { cluster.client($0, token: admin.token) }
            let license = try SignedLicense.issue(License(
                id: "bench", licensee: "benchmark", userSeats: seats, agentSeats: 0, notBefore: Date().addingTimeInterval(-60),
                expiresAt: Date().addingTimeInterval(86400), graceDays: 0), with: issuer).text()
            _ = try await admin.addLicense(license)
            // Stored disabled: they hold no seat until enabled.
            try await cluster.database.execute("""
                INSERT INTO users (user_id, username, role, password_hash, disabled)
                SELECT gen_random_uuid(), 'bench-' || i, 'viewer', 'not a hash: nobody logs in as these', true FROM generate_series(1, \(users)) AS i
                """)
            print("licenses benchmark: 3 nodes, \(seats) user seats (the admin holds one), \(users) users enabled \(concurrency) at a time; server \(server)")

            let grants = try await Self.enable(users: users, through: clients, concurrency: concurrency)
            // The baseline: the same requests again, now for users already enabled, which take no seat.
            let baseline = try await Self.enable(users: seats - 1, through: clients, concurrency: concurrency)
            let granted = grants.filter(\.granted)
            let seconds = Self.seconds(granted.map(\.at).max() ?? .zero)
            let baselineSeconds = Self.seconds(baseline.map(\.at).max() ?? .zero)
            let counted = try await cluster.database.withConnection { connection, logger in
                try await connection.query("""
                    SELECT (SELECT count(*)::int FROM users WHERE NOT disabled), (SELECT in_use FROM license_seats WHERE kind = 'user')
                    """, logger: logger).collect().first!.decode((Int, Int).self)
            }
            let rate = Double(granted.count) / seconds, baselineRate = Double(baseline.count) / baselineSeconds
            print("")
            print(String(format: "seat grants through 3 nodes        %6.0f grants/s   %5.1f%% of the baseline   (%d granted in %.2f s, %d refused)",
                         rate, rate / baselineRate * 100, granted.count, seconds, grants.count - granted.count))
            print(String(format: "baseline: the same enable, no seat %6.0f requests/s (%d in %.2f s)", baselineRate, baseline.count, baselineSeconds))
            print("enabled users / seats counted  \(counted.0) / \(counted.1) of \(seats) licensed: "
                  + (counted.0 == seats && counted.1 == seats ? "exact, none over" : "WRONG"))
            if counted.0 != seats || counted.1 != seats { throw ExitCode(1) }
        }
    }

    /// Enables bench-1 … bench-`users`, `concurrency` at a time spread over the clients: for each,
    /// whether it was granted (a 409 is a refused seat) and when it answered.
    static func enable(users: Int, through clients: [StewardClient], concurrency: Int) async throws -> [(granted: Bool, at: Duration)] {
        let next = Counter()
        let started = ContinuousClock.now
        return try await withThrowingTaskGroup(of: [(granted: Bool, at: Duration)].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var outcomes: [(granted: Bool, at: Duration)] = []
                    while let index = next.take(below: users) {
                        do {
                            _ = try await clients[(index + worker) % clients.count].changeUser("bench-\(index + 1)", disabled: false)
                            outcomes.append((true, ContinuousClock.now - started))
                        } catch let error as ClientError where error.status == 409 {
                            outcomes.append((false, ContinuousClock.now - started))
                        }
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Hands out indexes to concurrent workers.
final class Counter: Sendable {
    private let value = Mutex(0)
    func take(below limit: Int) -> Int? {
        value.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
