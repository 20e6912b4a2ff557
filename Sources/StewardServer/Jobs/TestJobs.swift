#if DEBUG
import Foundation
import StewardJobs

/// Job kinds for the acceptance tests, in debug builds only and only when STEWARD_TEST_JOBS_FILE
/// names a file: each execution appends JSON lines there (start and end, with a unique execution
/// id, the node and the fencing token), so a test can count executions across processes.
enum TestJobs {
    static var recordFile: String? { ProcessInfo.processInfo.environment["STEWARD_TEST_JOBS_FILE"] }

    static func register(into registry: inout JobRegistry) {
        guard let file = recordFile else { return }
        registry.register(RecordingJob(file: file))
        registry.register(LocalRecordingJob(file: file))
        registry.register(FailingJob())
        registry.register(HangingJob())
    }

    static func append(_ fields: [String: String], to file: String) {
        guard let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) else { return }
        let descriptor = open(file, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let line = data + Data("\n".utf8)
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }  // one write: whole lines, even from several processes
    }

    static let quickRetries = Backoff(base: .milliseconds(200), cap: .seconds(2))
}

struct TestRecordArguments: Codable, Sendable {
    var tag: String
    var sleepMillis: Int?
    /// Attempts up to this one fail.
    var failUntilAttempt: Int?
}

struct TestRecordOutput: Codable, Sendable {
    var execution: String
    var node: String
    var token: Int64
}

func runRecording(_ arguments: TestRecordArguments, context: JobContext, file: String) async throws -> TestRecordOutput {
    let execution = UUID().uuidString
    var fields = ["phase": "start", "execution": execution, "job": String(context.jobID), "token": String(context.fencingToken),
                  "node": context.nodeName, "attempt": String(context.attempt), "tag": arguments.tag,
                  "pid": String(ProcessInfo.processInfo.processIdentifier)]
    TestJobs.append(fields, to: file)
    if let sleep = arguments.sleepMillis, sleep > 0 { try await Task.sleep(for: .milliseconds(sleep)) }
    if context.attempt <= (arguments.failUntilAttempt ?? 0) { throw TestJobFailure(message: "planned failure of attempt \(context.attempt)") }
    fields["phase"] = "end"
    TestJobs.append(fields, to: file)
    return TestRecordOutput(execution: execution, node: context.nodeName, token: context.fencingToken)
}

struct TestJobFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

struct RecordingJob: JobKind {
    static let name = "test.record"
    static let timeout: Duration = .seconds(60)
    static func retryDelay(afterAttempt attempt: Int) -> Duration { TestJobs.quickRetries.delay(afterAttempt: attempt) }
    let file: String
    func run(_ arguments: TestRecordArguments, context: JobContext) async throws -> TestRecordOutput {
        try await runRecording(arguments, context: context, file: file)
    }
}

struct LocalRecordingJob: JobKind {
    static let name = "test.local-record"
    static let scope: JobScope = .local
    static let timeout: Duration = .seconds(60)
    let file: String
    func run(_ arguments: TestRecordArguments, context: JobContext) async throws -> TestRecordOutput {
        try await runRecording(arguments, context: context, file: file)
    }
}

struct FailingJob: JobKind {
    struct Arguments: Codable, Sendable {}
    static let name = "test.fail"
    static let defaultMaxAttempts = 3
    static func retryDelay(afterAttempt attempt: Int) -> Duration { TestJobs.quickRetries.delay(afterAttempt: attempt) }
    func run(_ arguments: Arguments, context: JobContext) async throws -> JobNoOutput {
        throw TestJobFailure(message: "the test handler failed on purpose (attempt \(context.attempt))")
    }
}

/// Ignores cancellation and its timeout: the worker must give up on it, not wait. It waits in a
/// detached task, which the attempt's cancellation does not reach, so it holds no thread meanwhile
/// (a loop around a cancelled `Task.sleep` would spin and starve the node's threads).
struct HangingJob: JobKind {
    struct Arguments: Codable, Sendable {}
    static let name = "test.hang"
    static let timeout: Duration = .seconds(2)
    static let defaultMaxAttempts = 2
    static func retryDelay(afterAttempt attempt: Int) -> Duration { TestJobs.quickRetries.delay(afterAttempt: attempt) }
    func run(_ arguments: Arguments, context: JobContext) async throws -> JobNoOutput {
        await Task.detached { try? await Task.sleep(for: .seconds(600)) }.value
        return JobNoOutput()
    }
}
#endif
