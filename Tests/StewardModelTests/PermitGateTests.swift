import StewardModel
import Synchronization
import Testing

@Suite("Permit gate: a bounded wait, first come first served, urgent first")
struct PermitGateTests {
    struct Busy: Error {}
    final class Order: Sendable {
        let names = Mutex<[String]>([])
        func append(_ name: String) { names.withLock { $0.append(name) } }
    }

    @Test("permits are handed out up to the capacity; the next waiter gets the first one released")
    func handOver() async throws {
        let gate = PermitGate(permits: 2)
        try await gate.acquire(timeout: .seconds(5), timedOut: Busy())
        try await gate.acquire(timeout: .seconds(5), timedOut: Busy())
        #expect(gate.inUse == 2)
        let waiter = Task { try await gate.acquire(timeout: .seconds(30), timedOut: Busy()) }
        while gate.waitingCount == 0 { await Task.yield() }
        gate.release()
        try await waiter.value
        #expect(gate.inUse == 2, "the released permit went to the waiter")
    }

    @Test("a waiter gives up at its deadline with the caller's error, and leaves no permit behind")
    func timeout() async throws {
        let gate = PermitGate(permits: 1)
        try await gate.acquire(timeout: .seconds(5), timedOut: Busy())
        let started = ContinuousClock.now
        await #expect(throws: Busy.self) { try await gate.acquire(timeout: .milliseconds(200), timedOut: Busy()) }
        // The permit never comes back here: only the deadline can end the wait (generous: the suite shares two cores).
        #expect(ContinuousClock.now - started < .seconds(30))
        gate.release()
        #expect(gate.inUse == 0)
    }

    @Test("an urgent waiter is served before those who came earlier")
    func urgentFirst() async throws {
        let gate = PermitGate(permits: 1)
        try await gate.acquire(timeout: .seconds(5), timedOut: Busy())
        let order = Order()
        let normal = Task {
            try await gate.acquire(timeout: .seconds(30), timedOut: Busy())
            order.append("normal")
            gate.release()
        }
        while gate.waitingCount < 1 { await Task.yield() }
        let urgent = Task {
            try await gate.acquire(timeout: .seconds(30), urgent: true, timedOut: Busy())
            order.append("urgent")
            gate.release()
        }
        while gate.waitingCount < 2 { await Task.yield() }
        gate.release()
        try await urgent.value
        try await normal.value
        #expect(order.names.withLock { $0 } == ["urgent", "normal"])
    }

    @Test("a cancelled waiter leaves the queue")
    func cancellation() async throws {
        let gate = PermitGate(permits: 1)
        try await gate.acquire(timeout: .seconds(5), timedOut: Busy())
        let waiter = Task { try await gate.acquire(timeout: .seconds(30), timedOut: Busy()) }
        while gate.waitingCount == 0 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.waitingCount == 0)
        gate.release()
        #expect(gate.inUse == 0)
    }

    @Test("waiters that left are skipped: the permit goes to the next one still waiting, in order")
    func skipsThoseWhoLeft() async throws {
        let gate = PermitGate(permits: 1)
        try await gate.acquire(timeout: .seconds(5), timedOut: Busy())
        let order = Order()
        func waiter(_ name: String) -> Task<Void, any Error> {
            Task {
                try await gate.acquire(timeout: .seconds(30), timedOut: Busy())
                order.append(name)
                gate.release()
            }
        }
        let first = waiter("first")
        while gate.waitingCount < 1 { await Task.yield() }
        let leaving = (0..<500).map { _ in Task { try await gate.acquire(timeout: .seconds(30), timedOut: Busy()) } }
        while gate.waitingCount < 501 { await Task.yield() }
        let last = waiter("last")
        while gate.waitingCount < 502 { await Task.yield() }
        for task in leaving { task.cancel() }
        while gate.waitingCount > 2 { await Task.yield() }
        gate.release()
        try await first.value
        try await last.value
        #expect(order.names.withLock { $0 } == ["first", "last"])
        #expect(gate.inUse == 0)
        try await gate.acquire(timeout: .milliseconds(100), timedOut: Busy())
        #expect(gate.inUse == 1, "a free permit is taken at once once everyone who waited has left")
    }
}
