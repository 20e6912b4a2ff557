import Foundation
import StewardModel
import Testing
@testable import StewardJobs

@Suite("Interval schedules: where the slots fall")
struct IntervalSlotTests {
    @Test("slots are multiples of the interval since the epoch")
    func alignedToEpoch() {
        let tenSeconds = ScheduleTiming.interval(.seconds(10))
        #expect(tenSeconds.slot(after: epoch(1005)) == epoch(1010))
        #expect(tenSeconds.slot(after: epoch(1009.999)) == epoch(1010))
        #expect(ScheduleTiming.interval(.seconds(60)).slot(after: instant("2026-01-05T10:07:30Z")) == instant("2026-01-05T10:08:00Z"))
        #expect(ScheduleTiming.interval(.seconds(600)).slot(after: instant("2026-01-05T10:07:30Z")) == instant("2026-01-05T10:10:00Z"))
        #expect(ScheduleTiming.interval(.seconds(86400)).slot(after: instant("2026-01-05T10:07:30Z")) == instant("2026-01-06T00:00:00Z"))
    }

    @Test("the slot after a slot is the next one, never the same")
    func strictlyAfterASlot() {
        let tenSeconds = ScheduleTiming.interval(.seconds(10))
        #expect(tenSeconds.slot(after: epoch(1010)) == epoch(1020))
        #expect(tenSeconds.slot(after: epoch(0)) == epoch(10))
        #expect(ScheduleTiming.interval(.seconds(60)).slot(after: instant("2026-01-05T10:08:00Z")) == instant("2026-01-05T10:09:00Z"))
    }

    @Test("1.5 s intervals: slots at 0, 1.5, 3, 4.5 …")
    func fractionalInterval() {
        let timing = ScheduleTiming.interval(.milliseconds(1500))
        #expect(timing.slot(after: epoch(0)) == epoch(1.5))
        #expect(timing.slot(after: epoch(1.5)) == epoch(3))
        #expect(timing.slot(after: epoch(3)) == epoch(4.5))
        #expect(timing.slot(after: epoch(4)) == epoch(4.5))
        #expect(timing.slot(after: epoch(1_000_000_000)) == epoch(1_000_000_000.5))
        #expect(timing.slot(after: epoch(1_000_000_000.5)) == epoch(1_000_000_002))
    }

    @Test("from any instant, the slot is on the grid, after it, and at most one interval away")
    func alwaysOnTheGrid() throws {
        for seconds in [1.0, 1.5, 7, 60, 3600] {
            let timing = ScheduleTiming.interval(.milliseconds(Int64(seconds * 1000)))
            var current = epoch(1_767_225_600.25)
            for step in 0..<200 {
                let slot = try #require(timing.slot(after: current))
                #expect(slot > current)
                #expect(slot.timeIntervalSince(current) <= seconds)
                let index = slot.timeIntervalSince1970 / seconds
                #expect(index == index.rounded(), "\(slot.timeIntervalSince1970) is not a multiple of \(seconds)")
                // Alternate between landing on the slot itself and somewhere in between.
                current = step.isMultiple(of: 2) ? slot : slot.addingTimeInterval(seconds * 0.37)
            }
        }
    }

    @Test("a cron timing's slot is the cron line's next firing in its zone")
    func cronTiming() {
        let timing = ScheduleTiming.cron(cron("0 9 * * *"), berlin)
        #expect(timing.slot(after: instant("2026-01-15T00:00:00Z")) == instant("2026-01-15T08:00:00Z"))
        #expect(ScheduleTiming.cron(cron("0 0 30 2 *"), utc).slot(after: instant("2026-01-15T00:00:00Z")) == nil)
    }
}

@Suite("Slot plans: which slots fire when the leader looks")
struct SlotPlanTests {
    typealias Firing = SlotPlan.Firing
    /// 2026-01-01T00:00:00Z, a multiple of every interval used here.
    let now = epoch(1_767_225_600)
    let tenSeconds = ScheduleTiming.interval(.seconds(10))

    func ago(_ seconds: Double) -> Date { now.addingTimeInterval(-seconds) }
    func onTime(_ slots: [Date]) -> [Firing] { slots.map { Firing(slot: $0, fires: true, missed: 0) } }

    @Test("on time: each due slot fires once, in order, with nothing missed")
    func onTimeSlots() {
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: ago(30), now: now, grace: .seconds(60), policy: .fireOnce)
        #expect(plan.firings == onTime([ago(30), ago(20), ago(10), now]))
        #expect(plan.next == now.addingTimeInterval(10))
    }

    @Test("on time: next is the first slot after now, even when now falls between slots")
    func onTimeBetweenSlots() {
        let later = now.addingTimeInterval(4)
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: ago(10), now: later, grace: .seconds(60), policy: .fireOnce)
        #expect(plan.firings == onTime([ago(10), now]))
        #expect(plan.next == now.addingTimeInterval(10))
    }

    @Test("a slot exactly as late as the grace still fires on time")
    func exactlyGraceLate() {
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: ago(60), now: now, grace: .seconds(60), policy: .skip)
        #expect(plan.firings == onTime([ago(60), ago(50), ago(40), ago(30), ago(20), ago(10), now]))
        #expect(plan.next == now.addingTimeInterval(10))
    }

    @Test("one slot past the grace: fire-once fires it, with nothing folded into it")
    func oneSlotLate() {
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: ago(70), now: now, grace: .seconds(60), policy: .fireOnce)
        #expect(plan.firings == [Firing(slot: ago(70), fires: true, missed: 0)] + onTime([ago(60), ago(50), ago(40), ago(30), ago(20), ago(10), now]))
    }

    @Test("downtime with fire-once: one firing for the latest missed slot, then the on-time slots")
    func downtimeFireOnce() {
        // Slots from 1000 s ago; those before now-60 s are late: 1000, 990, …, 70 s ago = 94 slots.
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: ago(1000), now: now, grace: .seconds(60), policy: .fireOnce)
        #expect(plan.firings == [Firing(slot: ago(70), fires: true, missed: 93)] + onTime([ago(60), ago(50), ago(40), ago(30), ago(20), ago(10), now]))
        #expect(plan.next == now.addingTimeInterval(10))
    }

    @Test("downtime with skip: the missed slots are recorded as one skipped firing, no job")
    func downtimeSkip() {
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: ago(1000), now: now, grace: .seconds(60), policy: .skip)
        #expect(plan.firings.first == Firing(slot: ago(70), fires: false, missed: 93))
        #expect(plan.firings.dropFirst().allSatisfy { $0.fires && $0.missed == 0 })
        #expect(plan.firings.count == 8)
        #expect(plan.next == now.addingTimeInterval(10))
    }

    @Test("a grace that is not a multiple of the interval counts the late slots exactly")
    func unevenGrace() {
        // Late means before now-65 s: 1000, 990, …, 70 s ago = 94 slots; 60 s ago is on time.
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: ago(1000), now: now, grace: .seconds(65), policy: .fireOnce)
        #expect(plan.firings.first == Firing(slot: ago(70), fires: true, missed: 93))
        #expect(plan.firings.count == 8)
        // Late means before now-55 s: 1000, …, 60 s ago = 95 slots.
        let tighter = SlotPlan.plan(timing: tenSeconds, nextSlot: ago(1000), now: now, grace: .seconds(55), policy: .fireOnce)
        #expect(tighter.firings == [Firing(slot: ago(60), fires: true, missed: 94)] + onTime([ago(50), ago(40), ago(30), ago(20), ago(10), now]))
    }

    @Test("a long downtime on a fast schedule: a day of 1 s slots is counted, not walked")
    func dayOfSecondSlots() {
        let plan = SlotPlan.plan(timing: .interval(.seconds(1)), nextSlot: ago(86400), now: now, grace: .seconds(60), policy: .fireOnce)
        // Late: 86400 … 61 s ago = 86340 slots.
        #expect(plan.firings.first == Firing(slot: ago(61), fires: true, missed: 86339))
        #expect(plan.firings.count == 1 + 61)
        #expect(plan.firings.last == Firing(slot: now, fires: true, missed: 0))
        #expect(plan.next == now.addingTimeInterval(1))
    }

    @Test("a cron schedule with missed slots folds them into the latest")
    func cronMissed() {
        let hourly = ScheduleTiming.cron(cron("0 * * * *"), utc)
        let plan = SlotPlan.plan(timing: hourly, nextSlot: instant("2026-01-05T00:00:00Z"), now: instant("2026-01-05T10:00:30Z"),
                                 grace: .seconds(60), policy: .fireOnce)
        // 00:00 … 09:00 are late (10 slots); 10:00 is on time.
        #expect(plan.firings == [Firing(slot: instant("2026-01-05T09:00:00Z"), fires: true, missed: 9),
                                 Firing(slot: instant("2026-01-05T10:00:00Z"), fires: true, missed: 0)])
        #expect(plan.next == instant("2026-01-05T11:00:00Z"))
    }

    @Test("a cron schedule with skip: the missed slots are skipped, the on-time one fires")
    func cronSkip() {
        let daily = ScheduleTiming.cron(cron("0 3 * * *"), berlin)
        // Down from 2026-01-01 to 2026-01-05 04:00 Berlin (03:00Z): the 1st…4th at 03:00 Berlin are late.
        let plan = SlotPlan.plan(timing: daily, nextSlot: instant("2026-01-01T02:00:00Z"), now: instant("2026-01-05T03:00:00Z"),
                                 grace: .seconds(3600), policy: .skip)
        #expect(plan.firings == [Firing(slot: instant("2026-01-04T02:00:00Z"), fires: false, missed: 3),
                                 Firing(slot: instant("2026-01-05T02:00:00Z"), fires: true, missed: 0)])
        #expect(plan.next == instant("2026-01-06T02:00:00Z"))
    }

    @Test("nothing due: no firings and the next slot stays")
    func nothingDue() {
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: now.addingTimeInterval(5), now: now, grace: .seconds(60), policy: .fireOnce)
        #expect(plan.firings.isEmpty)
        #expect(plan.next == now.addingTimeInterval(5))
        let cronPlan = SlotPlan.plan(timing: .cron(cron("0 3 * * *"), utc), nextSlot: instant("2026-01-06T03:00:00Z"),
                                     now: instant("2026-01-05T12:00:00Z"), grace: .seconds(60), policy: .skip)
        #expect(cronPlan.firings.isEmpty)
        #expect(cronPlan.next == instant("2026-01-06T03:00:00Z"))
    }

    @Test("the slot at now itself is due")
    func slotAtNow() {
        let plan = SlotPlan.plan(timing: tenSeconds, nextSlot: now, now: now, grace: .seconds(60), policy: .fireOnce)
        #expect(plan.firings == onTime([now]))
        #expect(plan.next == now.addingTimeInterval(10))
    }

    @Test("at most 1000 on-time firings at once; next is the first slot not fired")
    func batchLimit() {
        let plan = SlotPlan.plan(timing: .interval(.seconds(1)), nextSlot: ago(1500), now: now, grace: .seconds(7200), policy: .fireOnce)
        #expect(SlotPlan.batchLimit == 1000)
        #expect(plan.firings.count == 1000)
        #expect(plan.firings.allSatisfy { $0.fires && $0.missed == 0 })
        #expect(plan.firings.first?.slot == ago(1500))
        #expect(plan.firings.last?.slot == ago(501))
        #expect(plan.next == ago(500))
        // The leader's next pass goes on from there.
        let rest = SlotPlan.plan(timing: .interval(.seconds(1)), nextSlot: ago(500), now: now, grace: .seconds(7200), policy: .fireOnce)
        #expect(rest.firings.count == 501)
        #expect(rest.firings.first?.slot == ago(500))
        #expect(rest.next == now.addingTimeInterval(1))
    }
}
