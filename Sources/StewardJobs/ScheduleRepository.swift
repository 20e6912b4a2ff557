import Foundation
import Logging
import PostgresNIO
import StewardConfiguration
import StewardDatabase
import StewardModel

/// Schedules as the API and the CLI see them: list, create, retune, pause, resume, delete, firings.
/// Slot times are computed from database time, so no node's clock places a slot.
public struct ScheduleRepository: Sendable {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notFound(String)
        case nameTaken(String)
        case builtIn(String)

        public var description: String {
            switch self {
            case .notFound(let reference): return "no schedule '\(reference)'"
            case .nameTaken(let name): return "a schedule named '\(name)' exists already"
            case .builtIn(let name): return "'\(name)' is built in: pause it or retune it instead of deleting it"
            }
        }
    }

    static let columns = """
        s.schedule_id, s.name, s.kind, s.args::text, s.scope, s.interval_seconds, s.cron, s.time_zone, s.misfire, s.misfire_grace,
        s.paused, s.built_in, s.next_slot, s.created_at, s.created_by
        """

    static let lastFiring = """
        LEFT JOIN LATERAL (
            SELECT f.slot, f.fired_at, coalesce(n.name, f.fired_by::text) AS fired_by, f.term, f.jobs, f.outcome, f.missed
            FROM schedule_firings f LEFT JOIN nodes n ON n.node_id = f.fired_by
            WHERE f.schedule_id = s.schedule_id ORDER BY f.slot DESC LIMIT 1
        ) last ON true
        """

    public func list(on runner: some QueryRunner) async throws -> [ScheduleRecord] {
        try await runner.run("""
            SELECT \(unescaped: Self.columns), last.slot, last.fired_at, last.fired_by, last.term, last.jobs, last.outcome, last.missed
            FROM schedules s \(unescaped: Self.lastFiring) ORDER BY s.name
            """, logger: logger).map(Self.record)
    }

    /// By id ("12") or by name.
    public func find(_ reference: String, on runner: some QueryRunner) async throws -> ScheduleRecord {
        // A name holds a letter, so a reference of digits alone is an id and never a name.
        let id = Int64(reference) ?? -1
        let name = id == -1 ? reference : ""
        guard let row = try await runner.run("""
            SELECT \(unescaped: Self.columns), last.slot, last.fired_at, last.fired_by, last.term, last.jobs, last.outcome, last.missed
            FROM schedules s \(unescaped: Self.lastFiring) WHERE s.schedule_id = \(id) OR s.name = \(name)
            """, logger: logger).first else { throw Failure.notFound(reference) }
        return try Self.record(row)
    }

    /// Adds a schedule; its first slot is the first after the database's now.
    @discardableResult
    public func create(_ definition: ScheduleDefinition, builtIn: Bool = false, createdBy: String,
                       on runner: some QueryRunner) async throws -> Int64? {
        let now = try await databaseNow(on: runner)
        guard let first = definition.timing.slot(after: now) else { throw Failure.notFound(definition.name) }
        let columns = definition.timing.columns
        let rows = try await runner.run("""
            INSERT INTO schedules (name, kind, args, scope, interval_seconds, cron, time_zone, misfire, misfire_grace, paused, built_in,
                                   next_slot, created_by)
            VALUES (\(definition.name), \(definition.kind), \(definition.argumentsJSON)::jsonb, \(Self.scopeText(definition.scope)),
                    \(columns.interval), \(columns.cron), \(columns.timeZone), \(definition.misfire.rawValue), \(definition.misfireGrace.inSeconds),
                    \(definition.paused), \(builtIn), \(first), \(createdBy))
            ON CONFLICT (name) DO NOTHING
            RETURNING schedule_id
            """, logger: logger)
        if let row = rows.first { return try row.decode(Int64.self) }
        if builtIn { return nil }
        throw Failure.nameTaken(definition.name)
    }

    /// Built-ins are added when missing and never overwritten: an operator's retuning stays.
    public func ensure(builtIns: [ScheduleDefinition], on runner: some QueryRunner) async throws -> [String] {
        var added: [String] = []
        for definition in builtIns where try await create(definition, builtIn: true, createdBy: "steward", on: runner) != nil {
            added.append(definition.name)
        }
        return added
    }

    public func setPaused(_ reference: String, _ paused: Bool, on runner: some QueryRunner) async throws -> ScheduleRecord {
        var schedule = try await find(reference, on: runner)
        // Slots while paused are not missed: resuming starts from the next slot after now.
        let timing = try ScheduleTiming(record: schedule)
        let next = paused ? schedule.nextSlot : (timing.slot(after: try await databaseNow(on: runner)) ?? schedule.nextSlot)
        try await runner.run("UPDATE schedules SET paused = \(paused), next_slot = \(next) WHERE schedule_id = \(schedule.id)", logger: logger)
        schedule.paused = paused
        schedule.nextSlot = next
        return schedule
    }

    public func retune(_ reference: String, _ change: ScheduleChange, registry: JobRegistry, on runner: some QueryRunner) async throws -> ScheduleRecord {
        let schedule = try await find(reference, on: runner)
        var timing = try ScheduleTiming(record: schedule)
        if change.every != nil || change.cron != nil {
            timing = try ScheduleDefinition.timing(every: change.every, cron: change.cron, timeZone: change.every == nil ? (change.timeZone ?? schedule.timeZone) : change.timeZone)
        } else if let zone = change.timeZone {
            guard let cron = schedule.cron else { throw ScheduleDefinition.Invalid(field: "timeZone", reason: "only a cron schedule has a time zone") }
            timing = try ScheduleDefinition.timing(every: nil, cron: cron, timeZone: zone)
        }
        let grace = try ScheduleDefinition.grace(change.misfireGrace) ?? (DurationText.parse(schedule.misfireGrace) ?? .seconds(60))
        var arguments = schedule.arguments.text
        if let given = change.arguments {
            arguments = given.text
            if let problem = registry.problem(kind: schedule.kind, arguments: Data(arguments.utf8)) {
                throw ScheduleDefinition.Invalid(field: "arguments", reason: problem)
            }
        }
        let now = try await databaseNow(on: runner)
        let next = timing == (try ScheduleTiming(record: schedule)) ? schedule.nextSlot : (timing.slot(after: now) ?? schedule.nextSlot)
        let columns = timing.columns
        try await runner.run("""
            UPDATE schedules SET interval_seconds = \(columns.interval), cron = \(columns.cron), time_zone = \(columns.timeZone),
                   misfire = \((change.misfire ?? schedule.misfire).rawValue), misfire_grace = \(grace.inSeconds), args = \(arguments)::jsonb,
                   next_slot = \(next)
            WHERE schedule_id = \(schedule.id)
            """, logger: logger)
        return try await find(String(schedule.id), on: runner)
    }

    public func delete(_ reference: String, on runner: some QueryRunner) async throws -> ScheduleRecord {
        let schedule = try await find(reference, on: runner)
        guard !schedule.builtIn else { throw Failure.builtIn(schedule.name) }
        try await runner.run("DELETE FROM schedules WHERE schedule_id = \(schedule.id)", logger: logger)
        return schedule
    }

    /// Newest first.
    public func firings(_ reference: String, limit: Int, on runner: some QueryRunner) async throws -> ScheduleFirings {
        let schedule = try await find(reference, on: runner)
        let firings = try await runner.run("""
            SELECT f.slot, f.fired_at, coalesce(n.name, f.fired_by::text), f.term, f.jobs, f.outcome, f.missed
            FROM schedule_firings f LEFT JOIN nodes n ON n.node_id = f.fired_by
            WHERE f.schedule_id = \(schedule.id) ORDER BY f.slot DESC LIMIT \(limit)
            """, logger: logger).map { row in
            let (slot, firedAt, firedBy, term, jobs, outcome, missed) = try row.decode((Date, Date, String, Int64, [Int64], String, Int).self)
            return ScheduleFiring(slot: slot, firedAt: firedAt, firedBy: firedBy, term: term, jobs: jobs, outcome: outcome, missed: missed)
        }
        return ScheduleFirings(schedule: schedule.name, firings: firings)
    }

    func databaseNow(on runner: some QueryRunner) async throws -> Date {
        guard let row = try await runner.run("SELECT now()", logger: logger).first else { return Date() }
        return try row.decode(Date.self)
    }

    static func scopeText(_ scope: JobScope) -> String { scope == .local ? "each-node" : "cluster" }

    static func record(_ row: PostgresRow) throws -> ScheduleRecord {
        let columns = try row.decode((Int64, String, String, String, String, Double?, String?, String, String, Double, Bool, Bool, Date, Date, String,
                                      Date?, Date?, String?, Int64?, [Int64]?, String?, Int?).self)
        var last: ScheduleFiring?
        if let slot = columns.15, let firedAt = columns.16 {
            last = ScheduleFiring(slot: slot, firedAt: firedAt, firedBy: columns.17 ?? "", term: columns.18 ?? 0, jobs: columns.19 ?? [],
                                  outcome: columns.20 ?? "fired", missed: columns.21 ?? 0)
        }
        return ScheduleRecord(
            id: columns.0, name: columns.1, kind: columns.2, arguments: JSONValue(text: columns.3) ?? .null, scope: columns.4,
            every: columns.5.map { DurationText.format(.milliseconds(Int64(($0 * 1000).rounded()))) }, cron: columns.6, timeZone: columns.7,
            misfire: MisfirePolicy(rawValue: columns.8) ?? .fireOnce, misfireGrace: DurationText.format(.milliseconds(Int64((columns.9 * 1000).rounded()))),
            paused: columns.10, builtIn: columns.11, nextSlot: columns.12, createdAt: columns.13, createdBy: columns.14, lastFiring: last)
    }
}

extension ScheduleTiming {
    init(record: ScheduleRecord) throws {
        try self.init(interval: record.every.flatMap(DurationText.parse).map(\.inSeconds), cron: record.cron, timeZone: record.timeZone)
    }
}
