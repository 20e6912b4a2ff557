import Testing
@testable import StewardJobs

@Suite("Retry backoff")
struct BackoffTests {
    let standard = Backoff.standard

    @Test("the standard backoff starts at 2 s and doubles with every attempt")
    func doubles() {
        #expect(standard.delay(afterAttempt: 1, random: 1) == .seconds(2))
        #expect(standard.delay(afterAttempt: 2, random: 1) == .seconds(4))
        #expect(standard.delay(afterAttempt: 3, random: 1) == .seconds(8))
        #expect(standard.delay(afterAttempt: 4, random: 1) == .seconds(16))
        #expect(standard.delay(afterAttempt: 11, random: 1) == .seconds(2048))
    }

    @Test("random 0 gives half the full delay, random 1 the full delay, 0.5 three quarters")
    func jitterBounds() {
        #expect(standard.delay(afterAttempt: 3, random: 0) == .seconds(4))
        #expect(standard.delay(afterAttempt: 3, random: 1) == .seconds(8))
        #expect(standard.delay(afterAttempt: 3, random: 0.5) == .seconds(6))
        #expect(standard.delay(afterAttempt: 1, random: 0) == .seconds(1))
    }

    @Test("capped at an hour, however many attempts")
    func capped() {
        #expect(standard.delay(afterAttempt: 12, random: 1) == .seconds(3600))
        #expect(standard.delay(afterAttempt: 12, random: 0) == .seconds(1800))
        #expect(standard.delay(afterAttempt: 31, random: 1) == .seconds(3600))
        #expect(standard.delay(afterAttempt: 1000, random: 1) == .seconds(3600))
        #expect(standard.delay(afterAttempt: .max, random: 0) == .seconds(1800))
    }

    @Test("attempt 0 or below waits like the first")
    func belowOne() {
        #expect(standard.delay(afterAttempt: 0, random: 1) == .seconds(2))
        #expect(standard.delay(afterAttempt: -3, random: 1) == .seconds(2))
    }

    @Test("a custom base and cap")
    func custom() {
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(1))
        #expect(backoff.delay(afterAttempt: 1, random: 1) == .milliseconds(100))
        #expect(backoff.delay(afterAttempt: 4, random: 1) == .milliseconds(800))
        #expect(backoff.delay(afterAttempt: 5, random: 1) == .seconds(1))
        #expect(backoff.delay(afterAttempt: 5, random: 0) == .milliseconds(500))
    }

    @Test("with real randomness every delay lies between half and all of the full delay")
    func randomWithinBounds() {
        for attempt in 1...20 {
            let full = min(Duration.seconds(2) * (1 << (attempt - 1)), .seconds(3600))
            for _ in 0..<50 {
                let delay = standard.delay(afterAttempt: attempt)
                #expect(delay >= full / 2 && delay <= full, "attempt \(attempt): \(delay) is outside \(full / 2)…\(full)")
            }
        }
    }

    @Test("with real randomness the delays differ (jitter)")
    func jitterVaries() {
        let delays = Set((0..<20).map { _ in standard.delay(afterAttempt: 6) })
        #expect(delays.count > 1)
    }
}
