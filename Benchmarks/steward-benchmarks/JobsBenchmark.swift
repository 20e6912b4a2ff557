import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardJobs
import StewardTesting

/// The job pool's throughput and pickup latency on one PostgreSQL, against `pgbench -N` on the
/// same database in the same run: the ratio is the figure that survives a noisy machine.
/// A release-built node does the work (claims, runs `steward.noop`, completes); this process
/// enqueues and reads the database's own timestamps, so no polling of ours is in the figures.
struct JobsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Jobs enqueued and completed per second (one transaction per job, and batched), pickup latency, as ratios to pgbench -N.",
        discussion: """
            Needs a release build of the server (swift build -c release --product steward-server). Starts a throwaway
            PostgreSQL and one node, runs pgbench -N for the baseline, then:
              unbatched: producers each commit one job per transaction while the node works them off;
              batched:   jobs enqueued 1,000 per transaction;
              pickup:    one job at a time on an idle node: enqueue → claim, on the database's clock (NOTIFY wakes the node).
            Throughput is jobs over the span from the first enqueue to the last completion, both as the database recorded them.
            """)

    @Option(help: "Jobs in the unbatched run.") var unbatched = 10_000
    @Option(help: "Jobs in the batched run.") var batched = 50_000
    @Option(help: "Concurrent producers in the unbatched run (and pgbench clients).") var producers = 8
    @Option(help: "Jobs in the pickup-latency run.") var pickups = 300
    @Option(help: "Seconds of pgbench -N.") var pgbenchSeconds = 10
    @Option(help: "jobs.workers of the node (its default is 10; noop jobs need many at once to load the database).") var workers = 200
    @Option(help: "The server binary (default: the release build).") var binary: String?

    func run() async throws {
        guard let server = binary ?? Binaries.release("steward-server") else {
            throw ValidationError("no release build: run `swift build -c release --product steward-server` first (or pass --binary)")
        }
        print("jobs benchmark: node with jobs.workers=\(workers), database.pool.size=20; \(producers) producers; server \(server)")
        try await TestCluster.with { cluster in
            _ = try await cluster.start("bench", extra: ["database.pool.size": "20", "jobs.workers": String(workers)], binary: server)
            let bench = JobsBench(database: cluster.database)
            let baseline = try await bench.pgbench(clients: producers, seconds: pgbenchSeconds)
            print(String(format: "  pgbench -N: %.0f transactions/s (%d clients, %d s)", baseline, producers, pgbenchSeconds))

            let single = try await bench.unbatched(count: unbatched, producers: producers)
            let many = try await bench.batched(count: batched)
            let latency = try await bench.pickup(count: pickups)

            print("")
            print(String(format: "enqueue+complete, one transaction per job  %8.0f jobs/s   %5.1f%% of pgbench -N", single, single / baseline * 100))
            print(String(format: "enqueue+complete, 1,000 per transaction    %8.0f jobs/s   %5.1f%% of pgbench -N", many, many / baseline * 100))
            print(String(format: "pickup (enqueue -> claim, NOTIFY)          p50 %.1f ms   p99 %.1f ms   max %.1f ms (%d jobs)",
                         latency.p50, latency.p99, latency.max, pickups))
            print(String(format: "baseline pgbench -N                        %8.0f transactions/s", baseline))
        }
    }
}

struct JobsBench {
    let database: TestDatabase
    let logger = Logger(label: "steward.benchmark")

    /// pgbench's "simple update" run (`-N`): its tps, without the connection set-up.
    func pgbench(clients: Int, seconds: Int) async throws -> Double {
        let server = database.server
        let bin = try TestPostgres.binDirectory()
        let common = ["-h", server.host, "-p", String(server.port), "-U", server.user]
        let environment = ["PGPASSWORD": server.password]
        _ = try await Shell.run("\(bin)/pgbench", common + ["-i", "-q", "-s", "10", database.name], environment: environment)
        let result = try await Shell.run("\(bin)/pgbench", common + ["-N", "-n", "-c", String(clients), "-j", "2", "-T", String(seconds), database.name],
                                         environment: environment)
        try await database.execute("DROP TABLE pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers")
        guard let line = result.output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let tps = Double(line.dropFirst(6).split(separator: " ").first ?? "") else {
            throw ValidationError("no tps in pgbench's output:\n\(result.output)")
        }
        return tps
    }

    /// Producers each commit one job per transaction, on connections of their own; jobs/s from the
    /// first enqueue to the last completion.
    func unbatched(count: Int, producers: Int) async throws -> Double {
        let run = UUID().uuidString
        let share = count / producers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<producers {
                group.addTask {
                    try await database.withConnection { connection, logger in
                        for _ in 0..<share {
                            try await JobQueue.enqueue(NoopJob.self, .init(note: run), on: connection, logger: logger)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return try await rate(of: run, count: share * producers, label: "unbatched")
    }

    func batched(count: Int) async throws -> Double {
        let run = UUID().uuidString
        try await database.withConnection { connection, logger in
            for _ in 0..<(count / 1000) {
                try await JobQueue.enqueueMany(NoopJob.self, Array(repeating: .init(note: run), count: 1000), on: connection, logger: logger)
            }
        }
        return try await rate(of: run, count: count / 1000 * 1000, label: "batched")
    }

    /// Waits for the run's jobs to complete, then reads the span on the database's clock.
    /// `created_at` is the enqueueing transaction's start, `finished_at` the completing one's.
    func rate(of run: String, count: Int, label: String) async throws -> Double {
        let started = ContinuousClock.now
        while true {
            let done = try await scalar("SELECT count(*)::int FROM jobs WHERE args->>'note' = '\(run)' AND state = 'completed'", as: Int.self)
            if done == count { break }
            guard ContinuousClock.now - started < .seconds(600) else { throw ValidationError("\(label): only \(done) of \(count) jobs completed in 10 minutes") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let span = try await scalar("""
            SELECT extract(epoch FROM max(finished_at) - min(created_at))::float8 FROM jobs WHERE args->>'note' = '\(run)'
            """, as: Double.self)
        let enqueueSpan = try await scalar("""
            SELECT extract(epoch FROM max(created_at) - min(created_at))::float8 FROM jobs WHERE args->>'note' = '\(run)'
            """, as: Double.self)
        let rate = Double(count) / span
        print(String(format: "  %@: %d jobs in %.2f s (enqueued within %.2f s): %.0f jobs/s", label, count, span, enqueueSpan, rate))
        try await database.execute("DELETE FROM jobs WHERE args->>'note' = '\(run)'")
        return rate
    }

    /// One job at a time on an idle node, each enqueued once the one before completed.
    func pickup(count: Int) async throws -> (p50: Double, p99: Double, max: Double) {
        let run = UUID().uuidString
        var samples: [Double] = []
        try await database.withConnection { connection, logger in
            for _ in 0..<count {
                let job = try await JobQueue.enqueue(NoopJob.self, .init(note: run), on: connection, logger: logger)
                while true {
                    let rows = try await connection.query("""
                        SELECT extract(epoch FROM attempted_at - created_at)::float8 FROM jobs WHERE job_id = \(job.id) AND state = 'completed'
                        """, logger: logger).collect()
                    if let row = rows.first {
                        samples.append(try row.decode(Double.self) * 1000)
                        break
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
                // Let the worker go idle again, as it is between real enqueues.
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
        return (percentile(0.5), percentile(0.99), sorted.last ?? 0)
    }

    func scalar<T: PostgresDecodable & Sendable>(_ sql: String, as type: T.Type) async throws -> T {
        try await database.withConnection { connection, logger in
            let row = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
            guard let first = row.first else { throw ValidationError("no row for: \(sql)") }
            return try first.decode(T.self)
        }
    }
}
