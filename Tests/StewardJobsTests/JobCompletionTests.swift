import Foundation
import Testing
@testable import StewardJobs

@Suite("What the worker writes when an attempt ends")
struct JobCompletionTests {
    let runTime = Duration.milliseconds(1234)

    func completion(_ job: ClaimedJob, _ end: AttemptEnd, retryDelay: (Int) -> Duration = { .seconds($0 * 10) }) -> JobCompletion? {
        JobWorker.completion(for: job, end: end, runTime: runTime, node: "node-a", retryDelay: retryDelay)
    }

    @Test("success: completed, with the handler's result, under the job's fencing token")
    func succeeded() throws {
        let written = try #require(completion(claimedJob(id: 7, attempt: 2, fencingToken: 42), .succeeded(resultJSON: #"{"n":3}"#)))
        #expect(written.outcome == .completed)
        #expect(written.resultJSON == #"{"n":3}"#)
        #expect(written.error == nil)
        #expect(written.retryIn == .zero)
        #expect(written.id == 7)
        #expect(written.kind == "test.count")
        #expect(written.fencingToken == 42)
        #expect(written.runTime == runTime)
    }

    @Test("success without output: completed with no result")
    func succeededWithoutOutput() throws {
        let written = try #require(completion(claimedJob(), .succeeded(resultJSON: nil)))
        #expect(written.outcome == .completed)
        #expect(written.resultJSON == nil)
    }

    @Test("a failure before the last attempt: retryable, after the kind's delay for that attempt")
    func retryable() throws {
        var asked: [Int] = []
        let written = try #require(completion(claimedJob(attempt: 2, maxAttempts: 5), .failed("boom", permanent: false)) { attempt in
            asked.append(attempt)
            return .seconds(attempt * 10)
        })
        #expect(written.outcome == .retryable)
        #expect(written.error == "boom")
        #expect(written.retryIn == .seconds(20))
        #expect(asked == [2])
        #expect(written.resultJSON == nil)
    }

    @Test("a failure on the last attempt: discarded, saying it was the last")
    func lastAttempt() throws {
        let written = try #require(completion(claimedJob(attempt: 5, maxAttempts: 5), .failed("boom", permanent: false)))
        #expect(written.outcome == .discarded)
        #expect(written.error == "boom (attempt 5 of 5, the last)")
        #expect(written.retryIn == .zero)
    }

    @Test("a failure past the last attempt is discarded too")
    func pastLastAttempt() throws {
        let written = try #require(completion(claimedJob(attempt: 4, maxAttempts: 3), .failed("boom", permanent: false)))
        #expect(written.outcome == .discarded)
        #expect(written.error == "boom (attempt 4 of 3, the last)")
    }

    @Test("a single-attempt job that fails is discarded at once")
    func singleAttempt() throws {
        let written = try #require(completion(claimedJob(attempt: 1, maxAttempts: 1), .failed("boom", permanent: false)))
        #expect(written.outcome == .discarded)
        #expect(written.error == "boom (attempt 1 of 1, the last)")
    }

    @Test("a permanent failure is discarded at once, on the first attempt, without asking for a delay")
    func permanent() throws {
        var asked = false
        let written = try #require(completion(claimedJob(attempt: 1, maxAttempts: 5), .failed("bad input", permanent: true)) { _ in
            asked = true
            return .seconds(1)
        })
        #expect(written.outcome == .discarded)
        #expect(written.error == "bad input")
        #expect(written.retryIn == .zero)
        #expect(!asked)
    }

    @Test("a timeout before the last attempt is retried, saying it timed out")
    func timedOut() throws {
        let written = try #require(completion(claimedJob(attempt: 1, maxAttempts: 5), .timedOut(.seconds(30))))
        #expect(written.outcome == .retryable)
        #expect(written.retryIn == .seconds(10))
        let error = try #require(written.error)
        #expect(error.contains("timed out after"))
        #expect(error.contains("\(Duration.seconds(30))"))
    }

    @Test("a timeout on the last attempt is discarded")
    func timedOutLast() throws {
        let written = try #require(completion(claimedJob(attempt: 3, maxAttempts: 3), .timedOut(.seconds(30))))
        #expect(written.outcome == .discarded)
        let error = try #require(written.error)
        #expect(error.contains("timed out after"))
        #expect(error.hasSuffix("(attempt 3 of 3, the last)"))
    }

    @Test("cancelled while running: cancelled, naming the node")
    func cancelled() throws {
        let written = try #require(completion(claimedJob(), .stopped(.cancelRequested)))
        #expect(written.outcome == .cancelled)
        #expect(written.error == "cancelled while running on node-a")
        #expect(written.retryIn == .zero)
    }

    @Test("interrupted by a shutdown: available again at once, saying it was interrupted")
    func shutdown() throws {
        let written = try #require(completion(claimedJob(attempt: 5, maxAttempts: 5), .stopped(.shutdown)))
        #expect(written.outcome == .available)
        let error = try #require(written.error)
        #expect(error.contains("interrupted"))
        #expect(error.contains("node-a"))
        #expect(written.retryIn == .zero)
    }

    @Test("lost (claimed again elsewhere): written under the old fencing token, so the database refuses it")
    func lost() throws {
        // The worker writes this end like any other; the claim's token no longer matches the job's,
        // so the write is refused and counted, and the new owner's result stands.
        let written = try #require(completion(claimedJob(attempt: 2, maxAttempts: 5, fencingToken: 42), .stopped(.lost)))
        #expect(written.outcome == .retryable)
        #expect(written.fencingToken == 42)
        #expect(written.error == "lost its lease on node-a while it ran")
        #expect(written.retryIn == .zero)
        #expect(written.resultJSON == nil)
    }
}
