import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Look into the cluster's job pool: list, inspect and cancel jobs, and read their statistics.",
        discussion: """
            Jobs are units of background work kept in the database; any online node claims a waiting job \
            (local jobs: only the node they name), runs it under a lease, and retries it with backoff until it \
            succeeds or its last attempt fails. A job goes available → running → completed, or running → \
            retryable → running … → discarded; a waiting or running job can be cancelled. \
            Viewers list and read jobs and their statistics; cancelling needs the operator role.
            """,
        subcommands: [JobsList.self, JobsGet.self, JobsCancel.self, JobsStats.self])
}

/// Formatting shared by the jobs and schedules commands.
enum JobText {
    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return ISO8601DateFormatter().string(from: date)
    }

    /// `text` cut to `limit` characters, with an ellipsis when cut; newlines become spaces.
    static func truncated(_ text: String?, _ limit: Int) -> String {
        guard let text, !text.isEmpty else { return "-" }
        let line = text.replacingOccurrences(of: "\n", with: " ")
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }

    static func milliseconds(_ value: Double?) -> String {
        value.map { String(format: "%.1f", $0) } ?? "-"
    }

    /// Parses `--arguments`: JSON text, checked here because the server only ever sees the parsed value.
    static func arguments(_ text: String?) throws -> JSONValue? {
        guard let text else { return nil }
        guard let value = JSONValue(text: text) else {
            throw ValidationError("--arguments is not JSON: '\(text.prefix(80))' (give a JSON object, such as '{\"tag\":\"nightly\"}')")
        }
        return value
    }
}

enum JobTable {
    static func render(_ list: JobList) -> String {
        let table = Table.render(["ID", "KIND", "STATE", "ATTEMPT", "NODE", "RUN AT / FINISHED", "LAST ERROR"], list.jobs.map { job in
            [String(job.id), job.kind, job.state.rawValue + (job.cancelRequested && !job.state.isFinished ? " (cancelling)" : ""),
             "\(job.attempt)/\(job.maxAttempts)", job.node ?? job.targetNode ?? "-",
             JobText.time(job.state.isFinished ? (job.finishedAt ?? job.runAt) : job.runAt), JobText.truncated(job.lastError, 60)]
        })
        guard let next = list.next else { return table }
        return table + "\nmore: --before \(next)"
    }

    static func details(_ job: JobRecord) -> String {
        Table.pairs([
            ("id", String(job.id)), ("kind", job.kind), ("state", job.state.rawValue),
            ("attempt", "\(job.attempt) of \(job.maxAttempts)"), ("priority", String(job.priority)),
            ("arguments", job.arguments.text), ("result", job.result?.text ?? "-"),
            ("run at", JobText.time(job.runAt)), ("created", JobText.time(job.createdAt)),
            ("attempted", JobText.time(job.attemptedAt)), ("finished", JobText.time(job.finishedAt)),
            ("node", job.node ?? "-"), ("target node", job.targetNode ?? "-"),
            ("fencing token", job.fencingToken.map(String.init) ?? "-"), ("lease expires", JobText.time(job.leaseExpiresAt)),
            ("last error", job.lastError ?? "-"), ("idempotency key", job.idempotencyKey ?? "-"),
            ("cancel requested", job.cancelRequested ? "yes" : "no"),
        ])
    }

    static func stats(_ report: JobStatsReport) -> String {
        let byNode = report.by.contains("node"), byKind = report.by.contains("kind")
        var header: [String] = []
        if byNode { header.append("NODE") }
        if byKind { header.append("KIND") }
        header += ["SUCCEEDED", "FAILED", "RETRIED", "MEAN RUN (ms)"]
        let rows = report.rows.map { row -> [String] in
            var cells: [String] = []
            if byNode { cells.append(row.node ?? "-") }
            if byKind { cells.append(row.kind ?? "-") }
            return cells + [String(row.succeeded), String(row.failed), String(row.retried), JobText.milliseconds(row.meanRunMilliseconds)]
        }
        let table = rows.isEmpty ? "no jobs finished an attempt in the last \(report.minutes) minutes" : Table.render(header, rows)
        return table + "\nwaiting: \(report.ready) ready, \(report.scheduled) scheduled; running: \(report.running)"
    }
}

struct JobsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Jobs, newest first, optionally filtered.",
        discussion: """
            RUN AT / FINISHED is when a waiting job may run next (for a retryable job, after its backoff), \
            or when a finished one finished. When there are more jobs than --limit, the last line names the \
            --before that shows the next page.
            """)
    @Option(help: "Only jobs in these states, comma-separated (\(JobState.allCases.map(\.rawValue).joined(separator: ", "))).")
    var state: String?
    @Option(help: "Only jobs of this kind.") var kind: String?
    @Option(help: "Only jobs held by (or, for local jobs, meant for) this node.") var node: String?
    @Option(help: "How many jobs (1-1000; the server's default when absent).") var limit: Int?
    @Option(help: "Only jobs older than this job id (to page back).") var before: Int64?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try states()
        if let limit, !(1...1000).contains(limit) { throw ValidationError("--limit must be 1-1000") }
    }

    func states() throws -> [JobState] {
        guard let state else { return [] }
        return try state.split(separator: ",").map { text in
            let name = text.trimmingCharacters(in: .whitespaces)
            guard let state = JobState(rawValue: name) else {
                throw ValidationError("--state: '\(name)' is not one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return state
        }
    }

    func run() async throws {
        try await reportingFailures {
            let query = StewardClient.JobQuery(states: try states(), kind: kind, node: node, before: before, limit: limit)
            let list = try await callServer(try connection.client()) { try await $0.jobs(query) }
            try output.show(list, JobTable.render)
        }
    }
}

struct JobsGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "One job with every field: its arguments, result, lease and last error.")
    @Argument(help: "The job's id.") var id: Int64
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try output.show(try await callServer(try connection.client()) { try await $0.job(id) }, JobTable.details)
        }
    }
}

struct JobsCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a job (needs the operator role).",
        discussion: """
            A waiting job (available or retryable) is cancelled at once and never runs. A running job's node is \
            asked to stop it; it ends as cancelled when its handler stops. A finished job stays as it is. \
            The cancel is audited.
            """)
    @Argument(help: "The job's id.") var id: Int64
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let cancelled = try await callServer(try connection.client()) { try await $0.cancelJob(id) }
            try output.show(cancelled) { "job \($0.id): \($0.message) (\($0.previousState.rawValue) → \($0.state.rawValue))" }
        }
    }
}

struct JobsStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Attempts that finished recently, by node and kind, and what waits now.",
        discussion: """
            SUCCEEDED counts attempts that completed their job, FAILED attempts after which the job was \
            discarded, RETRIED failed attempts that will be tried again; MEAN RUN is the handler's mean run time. \
            Statistics are kept per minute for a day. The last line counts the jobs waiting now (ready to run, and \
            scheduled for later) and running now.
            """)
    @Option(help: "Group by node, kind, or node,kind.") var by = "node,kind"
    @Option(help: "The last this many minutes (1-1440).") var minutes = 60
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        let parts = by.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty, parts.allSatisfy({ ["node", "kind"].contains($0) }), Set(parts).count == parts.count else {
            throw ValidationError("--by: node, kind or node,kind")
        }
        guard (1...1440).contains(minutes) else { throw ValidationError("--minutes must be 1-1440 (statistics are kept for a day)") }
    }

    func run() async throws {
        try await reportingFailures {
            let report = try await callServer(try connection.client()) { try await $0.jobStats(by: by, minutes: minutes) }
            try output.show(report, JobTable.stats)
        }
    }
}
