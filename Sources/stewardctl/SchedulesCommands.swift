import ArgumentParser
import Foundation
import StewardClient
import StewardModel

extension MisfirePolicy: ExpressibleByArgument {}

struct SchedulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "Run jobs on a timetable: every interval, or on a cron line in a time zone.",
        discussion: """
            A schedule enqueues a job of its kind at each of its slots. Interval slots fall on multiples of the \
            interval since the Unix epoch (every 10m fires at :00, :10, …); cron slots follow `min hour day month \
            weekday` in the schedule's time zone (UTC unless given). The cluster's leader fires the slots, and each \
            slot fires exactly once cluster-wide, whichever node leads and however often leadership changes: a \
            cluster-scoped schedule enqueues one job per slot, an each-node schedule one per online node.

            When the cluster was down past a slot by more than the schedule's misfire grace, the misfire policy \
            decides: fire-once folds all such missed slots into one firing as soon as the cluster can (its MISSED \
            count says how many), skip records them as skipped and goes on from the next slot. Slots within the \
            grace fire late, normally. A paused schedule misses nothing: resuming starts from the next slot.

            Built-in schedules ship with Steward (housekeeping such as purge-finished-jobs): they can be retuned \
            or paused, not deleted. Viewers list schedules and their firings; operators pause and resume them; \
            admins create, retune (set) and delete them, since a schedule runs jobs of any kind. Every change is audited.
            """,
        subcommands: [SchedulesList.self, SchedulesGet.self, SchedulesCreate.self, SchedulesSet.self, SchedulesPause.self,
                      SchedulesResume.self, SchedulesDelete.self, SchedulesFirings.self])
}

enum ScheduleTable {
    static func when(_ schedule: ScheduleRecord) -> String {
        if let every = schedule.every { return "every \(every)" }
        return "cron \(schedule.cron ?? "?") \(schedule.timeZone)"
    }

    static func state(_ schedule: ScheduleRecord) -> String {
        (schedule.paused ? "paused" : "active") + (schedule.builtIn ? " (built-in)" : "")
    }

    static func lastFiring(_ firing: ScheduleFiring?) -> String {
        guard let firing else { return "-" }
        return "\(JobText.time(firing.slot)) \(firing.outcome)" + (firing.missed > 0 ? " (+\(firing.missed) missed)" : "")
    }

    static func render(_ schedules: [ScheduleRecord]) -> String {
        Table.render(["NAME", "KIND", "SCOPE", "WHEN", "MISFIRE", "STATE", "NEXT SLOT", "LAST FIRING"], schedules.map { schedule in
            [schedule.name, schedule.kind, schedule.scope, when(schedule), "\(schedule.misfire.rawValue) (grace \(schedule.misfireGrace))",
             state(schedule), schedule.paused ? "-" : JobText.time(schedule.nextSlot), lastFiring(schedule.lastFiring)]
        })
    }

    static func details(_ schedule: ScheduleRecord) -> String {
        Table.pairs([
            ("name", schedule.name), ("id", String(schedule.id)), ("kind", schedule.kind), ("arguments", schedule.arguments.text),
            ("scope", schedule.scope), ("when", when(schedule)), ("misfire", schedule.misfire.rawValue), ("misfire grace", schedule.misfireGrace),
            ("state", state(schedule)), ("next slot", schedule.paused ? "- (paused)" : JobText.time(schedule.nextSlot)),
            ("created", "\(JobText.time(schedule.createdAt)) by \(schedule.createdBy)"), ("last firing", lastFiring(schedule.lastFiring)),
        ])
    }

    static func firings(_ firings: ScheduleFirings) -> String {
        guard !firings.firings.isEmpty else { return "schedule \(firings.schedule) has not fired yet" }
        return Table.render(["SLOT", "OUTCOME", "MISSED", "FIRED BY", "TERM", "JOBS"], firings.firings.map { firing in
            [JobText.time(firing.slot), firing.outcome, String(firing.missed), firing.firedBy, String(firing.term),
             firing.jobs.isEmpty ? "-" : JobText.truncated(firing.jobs.map(String.init).joined(separator: ","), 60)]
        })
    }
}

/// The timing and misfire options shared by `create` and `set`.
struct ScheduleTimingOptions: ParsableArguments {
    @Option(help: "Fire every interval: 30s, 10m, 1h, 1d (1s to 366d). Slots fall on multiples of it since the epoch.")
    var every: String?
    @Option(help: "Fire on a cron line, `min hour day month weekday`, such as \"0 3 * * *\".")
    var cron: String?
    @Option(name: .customLong("time-zone"), help: "The time zone of a cron line, such as Europe/Berlin (default UTC).")
    var timeZone: String?
    @Option(help: "What to do with slots missed by more than the grace: fire-once (fold them into one firing) or skip (record them as skipped).")
    var misfire: MisfirePolicy?
    @Option(name: .customLong("misfire-grace"), help: "How late a slot may still fire normally, such as 60s (1s to 7d; default 60s).")
    var misfireGrace: String?
    @Option(help: "The job's arguments, as JSON, such as '{\"tag\":\"nightly\"}'.")
    var arguments: String?

    func validate() throws {
        if every != nil, cron != nil { throw ValidationError("give --every or --cron, not both") }
        if every != nil, timeZone != nil { throw ValidationError("--time-zone is for --cron schedules; an interval has none") }
        _ = try JobText.arguments(arguments)
    }

    var isEmpty: Bool { every == nil && cron == nil && timeZone == nil && misfire == nil && misfireGrace == nil && arguments == nil }
}

struct SchedulesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every schedule with its timing, state, next slot and last firing.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try output.show(try await callServer(try connection.client()) { try await $0.schedules() }, ScheduleTable.render)
        }
    }
}

struct SchedulesGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "One schedule, with its arguments.")
    @Argument(help: "The schedule's name (or id).") var name: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try output.show(try await callServer(try connection.client()) { try await $0.schedule(name) }, ScheduleTable.details)
        }
    }
}

struct SchedulesCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Add a schedule (needs the admin role).",
        discussion: """
            Give exactly one of --every and --cron. The server checks the kind (it names the kinds it knows when \
            it does not know this one), the arguments against the kind, the interval and the cron line. The first \
            slot is the first after now; each slot fires exactly once cluster-wide.
            """)
    @Argument(help: "The schedule's name (1 to 100 letters, digits, '.', '-' or '_', with at least one letter).") var name: String
    @Option(help: "The kind of job it enqueues, such as housekeeping.purge-jobs or steward.noop.") var kind: String
    @OptionGroup var timing: ScheduleTimingOptions
    @Flag(help: "Create it paused (resume it with `stewardctl schedules resume`).") var paused = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if timing.every == nil, timing.cron == nil { throw ValidationError("give --every INTERVAL or --cron LINE") }
    }

    func run() async throws {
        try await reportingFailures {
            let request = ScheduleCreateRequest(
                name: name, kind: kind, arguments: try JobText.arguments(timing.arguments), every: timing.every, cron: timing.cron,
                timeZone: timing.timeZone, misfire: timing.misfire, misfireGrace: timing.misfireGrace, paused: paused ? true : nil)
            let created = try await callServer(try connection.client()) { try await $0.createSchedule(request) }
            try output.show(created) { "schedule \($0.name) created\n" + ScheduleTable.details($0) }
        }
    }
}

struct SchedulesSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Retune a schedule: its timing, misfire policy or arguments (needs the admin role).",
        discussion: """
            What is not given stays. --every makes it an interval schedule, --cron a cron one; --time-zone alone \
            moves a cron schedule to another zone. A new timing starts from its first slot after now. Built-in \
            schedules can be retuned too, and keep their retuning across upgrades.
            """)
    @Argument(help: "The schedule's name (or id).") var name: String
    @OptionGroup var timing: ScheduleTimingOptions
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if timing.isEmpty {
            throw ValidationError("nothing to change: give --every, --cron, --time-zone, --misfire, --misfire-grace or --arguments")
        }
    }

    func run() async throws {
        try await reportingFailures {
            let change = ScheduleChange(every: timing.every, cron: timing.cron, timeZone: timing.timeZone, misfire: timing.misfire,
                                        misfireGrace: timing.misfireGrace, arguments: try JobText.arguments(timing.arguments))
            let retuned = try await callServer(try connection.client()) { try await $0.retuneSchedule(name, change) }
            try output.show(retuned) { "schedule \($0.name) retuned\n" + ScheduleTable.details($0) }
        }
    }
}

struct SchedulesPause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause", abstract: "Stop a schedule from firing (needs the operator role).",
        discussion: "Slots while it is paused are not missed slots: resuming starts from the next slot after then.")
    @Argument(help: "The schedule's name (or id).") var name: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let schedule = try await callServer(try connection.client()) { try await $0.pauseSchedule(name) }
            try output.show(schedule) { "schedule \($0.name) paused" }
        }
    }
}

struct SchedulesResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Let a paused schedule fire again, from its next slot (needs the operator role).")
    @Argument(help: "The schedule's name (or id).") var name: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let schedule = try await callServer(try connection.client()) { try await $0.resumeSchedule(name) }
            try output.show(schedule) { "schedule \($0.name) resumed; next slot \(JobText.time($0.nextSlot))" }
        }
    }
}

struct SchedulesDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a schedule and its firing history (needs the admin role).",
        discussion: "Jobs it already enqueued stay. A built-in schedule cannot be deleted; pause it instead.")
    @Argument(help: "The schedule's name (or id).") var name: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let schedule = try await callServer(try connection.client()) { try await $0.deleteSchedule(name) }
            try output.show(schedule) { "schedule \($0.name) deleted" }
        }
    }
}

struct SchedulesFirings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firings", abstract: "A schedule's firings, newest slot first: the jobs each slot enqueued, and skipped slots.",
        discussion: """
            Each slot has one firing cluster-wide. FIRED BY is the leader that fired it and TERM its leadership \
            term; MISSED counts earlier slots folded into this one (fire-once); OUTCOME skipped marks a missed \
            slot the skip policy let go.
            """)
    @Argument(help: "The schedule's name (or id).") var name: String
    @Option(help: "How many firings (1-10000).") var limit = 100
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1-10000") }
    }

    func run() async throws {
        try await reportingFailures {
            let firings = try await callServer(try connection.client()) { try await $0.scheduleFirings(name, limit: limit) }
            try output.show(firings, ScheduleTable.firings)
        }
    }
}
