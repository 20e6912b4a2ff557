import Testing
@testable import StewardJobs

@Suite("Wake signal")
struct WakeSignalTests {
    let clock = ContinuousClock()

    @Test("a signal before the wait makes the wait return at once")
    func signalBeforeWait() async {
        let wake = WakeSignal()
        wake.signal()
        let start = clock.now
        await wake.wait(timeout: .seconds(60))
        #expect(clock.now - start < .seconds(30))
    }

    @Test("without a signal, the wait lasts its timeout")
    func timeout() async {
        let wake = WakeSignal()
        let start = clock.now
        await wake.wait(timeout: .milliseconds(300))
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(270))
        #expect(elapsed < .seconds(30))
    }

    @Test("a signal from another task wakes the waiter well before its timeout")
    func signalFromAnotherTask() async {
        let wake = WakeSignal()
        let signaller = Task {
            try? await Task.sleep(for: .milliseconds(100))
            wake.signal()
        }
        let start = clock.now
        await wake.wait(timeout: .seconds(60))
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(30))
        await signaller.value
    }

    @Test("signals while nobody waits are kept as one")
    func signalsCoalesce() async {
        let wake = WakeSignal()
        wake.signal()
        wake.signal()
        wake.signal()
        let start = clock.now
        await wake.wait(timeout: .seconds(60))
        #expect(clock.now - start < .seconds(30))
        let second = clock.now
        await wake.wait(timeout: .milliseconds(200))
        #expect(clock.now - second >= .milliseconds(180))
    }

    @Test("a signal consumed by one wait does not end the next")
    func signalIsConsumed() async {
        let wake = WakeSignal()
        let signaller = Task {
            try? await Task.sleep(for: .milliseconds(50))
            wake.signal()
        }
        await wake.wait(timeout: .seconds(60))
        await signaller.value
        let start = clock.now
        await wake.wait(timeout: .milliseconds(200))
        #expect(clock.now - start >= .milliseconds(180))
    }

    @Test("cancelling the waiting task ends the wait")
    func cancellation() async {
        let wake = WakeSignal()
        let start = clock.now
        let waiter = Task { await wake.wait(timeout: .seconds(60)) }
        try? await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await waiter.value
        #expect(clock.now - start < .seconds(30))
    }

    @Test("an earlier wait's timeout does not cut a later wait short")
    func staleTimer() async {
        let wake = WakeSignal()
        // The first wait ends by a signal after 20 ms; its 150 ms timeout must not end the second wait.
        let signaller = Task {
            try? await Task.sleep(for: .milliseconds(20))
            wake.signal()
        }
        await wake.wait(timeout: .milliseconds(150))
        await signaller.value
        let start = clock.now
        await wake.wait(timeout: .milliseconds(400))
        #expect(clock.now - start >= .milliseconds(360))
    }
}
