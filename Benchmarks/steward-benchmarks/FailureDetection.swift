import ArgumentParser
import Foundation
import StewardClient
import StewardModel
import StewardTesting

/// How long from a node's SIGKILL until the others report it offline, over many kills.
/// Real processes, real PostgreSQL (the test harness's throwaway instance), default-shaped timing
/// scaled down: heartbeat every `interval`, offline after `offlineAfter`.
struct FailureDetection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failure-detection",
        abstract: "Kill a node repeatedly and measure how long the others take to report it offline.")

    @Option(help: "How many kills.") var kills = 10
    @Option(help: "cluster.heartbeat.interval, in seconds.") var interval = 1.0
    @Option(help: "cluster.node.offline.after, in seconds.") var offlineAfter = 4.0
    @Option(help: "How often the observer polls the node list, in milliseconds.") var pollMilliseconds = 50

    func run() async throws {
        let timing: [String: String?] = [
            "cluster.heartbeat.interval": "\(Int(interval * 1000))ms", "cluster.node.offline.after": "\(Int(offlineAfter * 1000))ms",
        ]
        print("failure detection: \(kills) kills, heartbeat \(interval)s, offline after \(offlineAfter)s, polled every \(pollMilliseconds)ms")
        let samples = try await TestCluster.with { cluster in
            let observer = try await cluster.start("observer", extra: timing)
            _ = try await cluster.start("witness", extra: timing)
            let client = try await cluster.adminClient(observer)
            var samples: [Double] = []
            for round in 1...kills {
                let victim = try await cluster.start("victim-\(round)", extra: timing)
                // Kill at a random point of the heartbeat cycle, as real failures do.
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...Int(interval * 1000))))
                let killed = ContinuousClock.now
                await victim.kill9()
                while try await client.node(victim.name).stateCode != .offline {
                    try await Task.sleep(for: .milliseconds(pollMilliseconds))
                }
                let seconds = (ContinuousClock.now - killed).inSeconds
                samples.append(seconds)
                print(String(format: "  kill %2d: seen offline after %.2fs", round, seconds))
            }
            return samples
        }
        let sorted = samples.sorted()
        let p50 = sorted[sorted.count / 2]
        print(String(format: "p50 %.2fs  max %.2fs  min %.2fs  (bound: offline.after + one interval = %.2fs; ratio p50/offline.after %.2f)",
                     p50, sorted.last ?? 0, sorted.first ?? 0, offlineAfter + interval, p50 / offlineAfter))
    }
}
