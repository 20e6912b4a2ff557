import StewardDatabase
import Synchronization
import Testing

@Suite("Deadlines on database work")
struct DeadlineTests {
    @Test("the caller gets control back at the deadline even when the operation ignores cancellation")
    func stuckOperation() async throws {
        let released = Atomic<Bool>(false)
        defer { released.store(true, ordering: .relaxed) }
        do {
            _ = try await withDeadline(.milliseconds(200), "stuck query") { () async throws -> Int in
                // Ignores cancellation and only ends when the test lets it, as a query on a dropped connection can.
                while !released.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(50)) }
                return 1
            }
            Issue.record("the operation ended, so the deadline never fired")
        } catch let error as DatabaseError {
            #expect(error.code == .timeout)
            #expect(error.description.contains("stuck query did not finish within"))
        }
    }

    @Test("a fast operation's result and error come through unchanged")
    func passThrough() async throws {
        #expect(try await withDeadline(.seconds(5)) { 42 } == 42)
        let error = await #expect(throws: DatabaseError.self) {
            try await withDeadline(.seconds(5)) { () async throws -> Int in throw DatabaseError(.query, "boom") }
        }
        #expect(error?.code == .query)
        #expect(error.map { "\($0)" }?.contains("boom") == true, "the operation's own error, not a timeout")
    }

    @Test("cancelling the caller cancels the wait")
    func callerCancelled() async throws {
        let task = Task { try await withDeadline(.seconds(30)) { () async throws -> Int in try await Task.sleep(for: .seconds(30)); return 1 } }
        try await Task.sleep(for: .milliseconds(100))
        let cancelled = ContinuousClock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // Generous: the suite shares two cores with dozens of nodes; the 30 s limit is what it must beat.
        #expect(ContinuousClock.now - cancelled < .seconds(15), "the caller is released at once, not after the 30 s limit")
    }
}
