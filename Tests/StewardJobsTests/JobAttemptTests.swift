import Foundation
import Synchronization
import Testing
@testable import StewardJobs

/// Sleeps in a task of its own, so the caller's cancellation does not reach it: a handler that
/// ignores cancellation.
func sleepIgnoringCancellation(_ duration: Duration) async {
    await Task.detached { try? await Task.sleep(for: duration) }.value
}

/// A flag that escaping closures can share.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}

struct Boom: Error, CustomStringConvertible {
    var description: String { "boom from the handler" }
}

@Suite("One attempt of a job")
struct JobAttemptTests {
    let clock = ContinuousClock()

    @Test("a handler that returns: succeeded with its result")
    func returns() async {
        let attempt = JobAttempt(job: claimedJob())
        let end = await attempt.run(timeout: .seconds(10)) { #"{"n":3}"# }
        #expect(end == .succeeded(resultJSON: #"{"n":3}"#))
    }

    @Test("a handler with nothing to say: succeeded without a result")
    func returnsNil() async {
        let attempt = JobAttempt(job: claimedJob())
        let end = await attempt.run(timeout: .seconds(10)) { nil }
        #expect(end == .succeeded(resultJSON: nil))
    }

    @Test("a handler that throws PermanentJobError: failed for good, with its message")
    func permanentError() async {
        let attempt = JobAttempt(job: claimedJob())
        let end = await attempt.run(timeout: .seconds(10)) { throw PermanentJobError("the account is gone") }
        #expect(end == .failed("the account is gone", permanent: true))
    }

    @Test("a handler that throws anything else: failed, to be retried, with the error's description")
    func ordinaryError() async {
        let attempt = JobAttempt(job: claimedJob())
        let end = await attempt.run(timeout: .seconds(10)) { throw Boom() }
        #expect(end == .failed("boom from the handler", permanent: false))
    }

    @Test("a handler that ignores cancellation and sleeps on: timed out after 200 ms, long before the handler would end")
    func hungHandlerTimesOut() async {
        let attempt = JobAttempt(job: claimedJob())
        let start = clock.now
        let end = await attempt.run(timeout: .milliseconds(200)) {
            await sleepIgnoringCancellation(.seconds(60))
            return nil
        }
        let elapsed = clock.now - start
        #expect(end == .timedOut(.milliseconds(200)))
        #expect(elapsed >= .milliseconds(180))
        #expect(elapsed < .seconds(30))
    }

    @Test("at the timeout the handler is cancelled")
    func timeoutCancelsHandler() async throws {
        let cancelled = Flag()
        let attempt = JobAttempt(job: claimedJob())
        let end = await attempt.run(timeout: .milliseconds(100)) {
            do { try await Task.sleep(for: .seconds(120)) } catch { cancelled.set() }
            return nil
        }
        #expect(end == .timedOut(.milliseconds(100)))
        let deadline = clock.now + .seconds(30)
        while !cancelled.isSet, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(cancelled.isSet)
    }

    @Test("stopped as cancelled while the handler runs: returns promptly, stopped(cancelRequested)")
    func stoppedWhileRunning() async {
        let attempt = JobAttempt(job: claimedJob())
        let (started, startedContinuation) = AsyncStream<Void>.makeStream()
        let running = Task {
            await attempt.run(timeout: .seconds(60)) {
                startedContinuation.yield()
                await sleepIgnoringCancellation(.seconds(60))
                return nil
            }
        }
        for await _ in started { break }
        let start = clock.now
        attempt.stop(.cancelRequested)
        let end = await running.value
        #expect(end == .stopped(.cancelRequested))
        #expect(clock.now - start < .seconds(30))
    }

    @Test("stopped before it runs: run returns that stop at once, without calling the handler")
    func stoppedBeforeRunning() async {
        let called = Flag()
        let attempt = JobAttempt(job: claimedJob())
        attempt.stop(.shutdown)
        let start = clock.now
        let end = await attempt.run(timeout: .seconds(60)) {
            called.set()
            return nil
        }
        #expect(end == .stopped(.shutdown))
        #expect(clock.now - start < .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        #expect(!called.isSet)
    }

    @Test("the first end wins: a stop after the handler returned changes nothing")
    func firstEndWins() async {
        let attempt = JobAttempt(job: claimedJob())
        let end = await attempt.run(timeout: .seconds(10)) { "1" }
        attempt.stop(.lost)
        #expect(end == .succeeded(resultJSON: "1"))
        let again = await attempt.run(timeout: .seconds(10)) { "2" }
        #expect(again == .succeeded(resultJSON: "1"))
    }
}
