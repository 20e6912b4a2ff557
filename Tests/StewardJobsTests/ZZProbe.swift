import Testing
@testable import StewardJobs

@Test("probe: zero timeouts")
func probeZeroTimeouts() async {
    let clock = ContinuousClock()
    var slow = 0
    for _ in 0..<2000 {
        let wake = WakeSignal()
        let watchdog = Task { try? await Task.sleep(for: .seconds(1)); wake.signal() }
        let start = clock.now
        await wake.wait(timeout: .zero)
        if clock.now - start > .milliseconds(500) { slow += 1 }
        watchdog.cancel()
    }
    print("PROBE slow waits:", slow)
}
