import Foundation

/// What happens to slots a schedule missed by more than its misfire grace (the cluster was down).
public enum MisfirePolicy: String, Codable, Sendable, CaseIterable {
    /// The missed slots are folded into one firing, as soon as the cluster can.
    case fireOnce = "fire-once"
    /// The missed slots are recorded as skipped; the schedule goes on from the next slot.
    case skip
}

/// One schedule as `GET /api/v1/schedules` shows it.
public struct ScheduleRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var kind: String
    public var arguments: JSONValue
    /// "cluster": one job per slot for the whole cluster; "each-node": one per online node.
    public var scope: String
    /// An interval such as "10m", or nil for a cron schedule.
    public var every: String?
    /// `min hour day month weekday`, or nil for an interval schedule.
    public var cron: String?
    public var timeZone: String
    public var misfire: MisfirePolicy
    public var misfireGrace: String
    public var paused: Bool
    /// Shipped with Steward: it can be retuned or paused, not deleted.
    public var builtIn: Bool
    public var nextSlot: Date
    public var createdAt: Date
    public var createdBy: String
    public var lastFiring: ScheduleFiring?

    public init(id: Int64, name: String, kind: String, arguments: JSONValue, scope: String, every: String?, cron: String?, timeZone: String,
                misfire: MisfirePolicy, misfireGrace: String, paused: Bool, builtIn: Bool, nextSlot: Date, createdAt: Date, createdBy: String,
                lastFiring: ScheduleFiring?) {
        self.id = id
        self.name = name
        self.kind = kind
        self.arguments = arguments
        self.scope = scope
        self.every = every
        self.cron = cron
        self.timeZone = timeZone
        self.misfire = misfire
        self.misfireGrace = misfireGrace
        self.paused = paused
        self.builtIn = builtIn
        self.nextSlot = nextSlot
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.lastFiring = lastFiring
    }
}

/// One slot of a schedule, as fired (or skipped) by the leader.
public struct ScheduleFiring: Codable, Sendable, Equatable {
    public var slot: Date
    public var firedAt: Date
    public var firedBy: String
    public var term: Int64
    public var jobs: [Int64]
    /// "fired", or "skipped" (a missed slot the misfire policy let go).
    public var outcome: String
    /// Slots before this one that were missed and folded into it.
    public var missed: Int

    public init(slot: Date, firedAt: Date, firedBy: String, term: Int64, jobs: [Int64], outcome: String, missed: Int) {
        self.slot = slot
        self.firedAt = firedAt
        self.firedBy = firedBy
        self.term = term
        self.jobs = jobs
        self.outcome = outcome
        self.missed = missed
    }
}

/// `POST /api/v1/schedules`: exactly one of `every` and `cron`.
public struct ScheduleCreateRequest: Codable, Sendable, Equatable {
    public var name: String
    public var kind: String
    public var arguments: JSONValue?
    public var every: String?
    public var cron: String?
    public var timeZone: String?
    public var misfire: MisfirePolicy?
    public var misfireGrace: String?
    public var paused: Bool?

    public init(name: String, kind: String, arguments: JSONValue? = nil, every: String? = nil, cron: String? = nil, timeZone: String? = nil,
                misfire: MisfirePolicy? = nil, misfireGrace: String? = nil, paused: Bool? = nil) {
        self.name = name
        self.kind = kind
        self.arguments = arguments
        self.every = every
        self.cron = cron
        self.timeZone = timeZone
        self.misfire = misfire
        self.misfireGrace = misfireGrace
        self.paused = paused
    }
}

/// `PATCH /api/v1/schedules/{id}`: retunes a schedule; what is absent stays. Giving `every` makes it
/// an interval schedule, giving `cron` a cron one.
public struct ScheduleChange: Codable, Sendable, Equatable {
    public var every: String?
    public var cron: String?
    public var timeZone: String?
    public var misfire: MisfirePolicy?
    public var misfireGrace: String?
    public var arguments: JSONValue?

    public init(every: String? = nil, cron: String? = nil, timeZone: String? = nil, misfire: MisfirePolicy? = nil, misfireGrace: String? = nil,
                arguments: JSONValue? = nil) {
        self.every = every
        self.cron = cron
        self.timeZone = timeZone
        self.misfire = misfire
        self.misfireGrace = misfireGrace
        self.arguments = arguments
    }
}

public struct ScheduleList: Codable, Sendable, Equatable {
    public var schedules: [ScheduleRecord]
    public init(schedules: [ScheduleRecord]) { self.schedules = schedules }
}

public struct ScheduleFirings: Codable, Sendable, Equatable {
    public var schedule: String
    public var firings: [ScheduleFiring]
    public init(schedule: String, firings: [ScheduleFiring]) {
        self.schedule = schedule
        self.firings = firings
    }
}
