import Foundation
import StewardModel

/// When a schedule's slots fall: every interval (slots on multiples of the interval since the Unix
/// epoch, so "every 10m" fires at :00, :10, …), or on a cron line in a time zone.
public enum ScheduleTiming: Sendable, Equatable {
    case interval(Duration)
    case cron(CronExpression, TimeZone)

    /// The first slot strictly after `instant`.
    public func slot(after instant: Date) -> Date? {
        switch self {
        case .interval(let interval):
            let seconds = interval.inSeconds
            let index = (instant.timeIntervalSince1970 / seconds).rounded(.down) + 1
            var slot = Date(timeIntervalSince1970: index * seconds)
            if slot <= instant { slot = Date(timeIntervalSince1970: (index + 1) * seconds) }  // rounding
            return slot
        case .cron(let expression, let zone):
            return expression.next(after: instant, in: zone)
        }
    }
}

/// What the leader does with a schedule whose next slot has come: each slot fires once; slots
/// missed by more than the grace (the cluster was down) follow the misfire policy.
public struct SlotPlan: Sendable, Equatable {
    public struct Firing: Sendable, Equatable {
        public let slot: Date
        /// False: a missed slot recorded as skipped (no job).
        public let fires: Bool
        /// Slots before this one folded into it (they get no firing of their own).
        public let missed: Int
    }

    public let firings: [Firing]
    /// The schedule's next slot after these.
    public let next: Date?

    /// At most this many on-time firings in one go (more would mean a grace of hours on a
    /// sub-second schedule); the rest follow on the leader's next pass.
    static let batchLimit = 1000

    public static func plan(timing: ScheduleTiming, nextSlot: Date, now: Date, grace: Duration, policy: MisfirePolicy) -> SlotPlan {
        let lateBefore = now.addingTimeInterval(-grace.inSeconds)
        var slot: Date? = nextSlot
        var missedCount = 0
        var lastMissed: Date?
        // Slots older than the grace: counted, not fired one by one.
        if case .interval(let interval) = timing, nextSlot < lateBefore {
            let seconds = interval.inSeconds
            let count = Int(((lateBefore.timeIntervalSince(nextSlot)) / seconds).rounded(.up))
            missedCount = max(count, 1)
            lastMissed = nextSlot.addingTimeInterval(Double(missedCount - 1) * seconds)
            slot = timing.slot(after: lastMissed!)
        } else {
            var steps = 0
            while let current = slot, current < lateBefore, steps < 1_000_000 {
                missedCount += 1
                lastMissed = current
                slot = timing.slot(after: current)
                steps += 1
            }
        }
        var firings: [Firing] = []
        if let lastMissed {
            switch policy {
            case .fireOnce: firings.append(Firing(slot: lastMissed, fires: true, missed: missedCount - 1))
            case .skip: firings.append(Firing(slot: lastMissed, fires: false, missed: missedCount - 1))
            }
        }
        while let current = slot, current <= now, firings.count < batchLimit {
            firings.append(Firing(slot: current, fires: true, missed: 0))
            slot = timing.slot(after: current)
        }
        return SlotPlan(firings: firings, next: slot)
    }
}
