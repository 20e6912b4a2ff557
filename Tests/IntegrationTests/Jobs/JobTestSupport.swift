import Foundation
import PostgresNIO
import StewardClient
import StewardModel
import StewardTesting

/// What the debug-build test job kinds wrote (see `TestJobs` in the server): one JSON line per
/// start and end of an execution, from every node of a cluster into one file.
struct ExecutionLog {
    struct Line: Decodable, Equatable {
        let phase: String
        let execution: String
        let job: String
        let token: String
        let node: String
        let attempt: String
        let tag: String
        let pid: String
    }

    let path: String

    var lines: [Line] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    func starts(of job: Int64) -> [Line] { lines.filter { $0.phase == "start" && $0.job == String(job) } }
    func ends(of job: Int64) -> [Line] { lines.filter { $0.phase == "end" && $0.job == String(job) } }
}

extension TestCluster {
    /// The file the test job kinds record into, handed to nodes through their environment.
    var executionLog: ExecutionLog { ExecutionLog(path: folder.file("executions.jsonl")) }

    var jobEnvironment: [String: String] { ["STEWARD_TEST_JOBS_FILE": executionLog.path] }

    /// Starts a node that knows the test job kinds.
    func startWorker(_ name: String, extra: [String: String?] = [:]) async throws -> ServerProcess {
        try await start(name, extra: extra, environment: jobEnvironment)
    }

    /// One query's rows, on a connection of the test's own.
    func rows<T: Sendable>(_ sql: String, as type: T.Type = T.self,
                           _ decode: @escaping @Sendable (PostgresRow) throws -> T) async throws -> [T] {
        try await database.withConnection { connection, logger in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().map(decode)
        }
    }

    /// The node holding the leader lease now, by name.
    func leader() async throws -> (name: String, term: Int64)? {
        try await rows("SELECT n.name, l.term FROM leader_lease l JOIN nodes n ON n.node_id = l.holder WHERE l.expires_at > now()") {
            try $0.decode((String, Int64).self)
        }.first.map { (name: $0.0, term: $0.1) }
    }

    /// Jobs by state, straight from the database.
    /// The test kinds' jobs by state. Built-in schedules enqueue jobs of their own whenever a test
    /// crosses one of their slots (log-folder-size on every node at :00, :15, :30, :45), so they are left out.
    func jobStates() async throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try await rows("SELECT state, count(*)::int FROM jobs WHERE kind LIKE 'test.%' GROUP BY state") {
            try $0.decode((String, Int).self)
        })
    }
}

func recordJob(_ tag: String, sleepMillis: Int = 0, failUntilAttempt: Int? = nil, maxAttempts: Int? = nil,
               idempotencyKey: String? = nil) -> JobEnqueueRequest {
    var arguments: [String: JSONValue] = ["tag": .string(tag), "sleepMillis": .number(Double(sleepMillis))]
    if let failUntilAttempt { arguments["failUntilAttempt"] = .number(Double(failUntilAttempt)) }
    return JobEnqueueRequest(kind: "test.record", arguments: .object(arguments), idempotencyKey: idempotencyKey, maxAttempts: maxAttempts)
}
