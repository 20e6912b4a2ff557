import Foundation
import StewardConfiguration
import StewardModel

/// A schedule as validated from a request, or shipped built in.
public struct ScheduleDefinition: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var argumentsJSON: String
    public var scope: JobScope
    public var timing: ScheduleTiming
    public var misfire: MisfirePolicy
    public var misfireGrace: Duration
    public var paused: Bool

    public init(name: String, kind: String, argumentsJSON: String = "{}", scope: JobScope, timing: ScheduleTiming,
                misfire: MisfirePolicy = .fireOnce, misfireGrace: Duration = .seconds(60), paused: Bool = false) {
        self.name = name
        self.kind = kind
        self.argumentsJSON = argumentsJSON
        self.scope = scope
        self.timing = timing
        self.misfire = misfire
        self.misfireGrace = misfireGrace
        self.paused = paused
    }

    /// A refusal of a schedule request, naming the field.
    public struct Invalid: Error, CustomStringConvertible {
        public let field: String
        public let reason: String
        public var description: String { "\(field): \(reason)" }
    }

    static let intervalRange: ClosedRange<Duration> = .seconds(1)...(.seconds(366 * 86400))
    static let graceRange: ClosedRange<Duration> = .seconds(1)...(.seconds(7 * 86400))

    /// Checks a create request against the kinds this node knows.
    public init(_ request: ScheduleCreateRequest, registry: JobRegistry) throws(Invalid) {
        guard Self.isValidName(request.name) else {
            throw Invalid(field: "name", reason: "1 to 100 letters, digits, '.', '-' or '_', with at least one letter (a reference of digits alone is an id)")
        }
        guard let scope = registry.scope(of: request.kind) else {
            throw Invalid(field: "kind", reason: "no job kind '\(request.kind)'; known kinds: \(registry.names.joined(separator: ", "))")
        }
        let arguments = (request.arguments ?? .object([:])).text
        if let problem = registry.problem(kind: request.kind, arguments: Data(arguments.utf8)) {
            throw Invalid(field: "arguments", reason: problem)
        }
        self.init(name: request.name, kind: request.kind, argumentsJSON: arguments, scope: scope,
                  timing: try Self.timing(every: request.every, cron: request.cron, timeZone: request.timeZone),
                  misfire: request.misfire ?? .fireOnce, misfireGrace: try Self.grace(request.misfireGrace) ?? .seconds(60),
                  paused: request.paused ?? false)
    }

    static func isValidName(_ name: String) -> Bool {
        (1...100).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
            && name.contains { $0.isLetter }
    }

    /// Exactly one of an interval and a cron line.
    public static func timing(every: String?, cron: String?, timeZone: String?) throws(Invalid) -> ScheduleTiming {
        switch (every, cron) {
        case (let every?, nil):
            guard timeZone == nil else { throw Invalid(field: "timeZone", reason: "only a cron schedule has a time zone") }
            guard let interval = DurationText.parse(every), intervalRange.contains(interval) else {
                throw Invalid(field: "every", reason: "'\(every)' is not an interval from 1s to 366d, such as 30s, 10m or 1h")
            }
            return .interval(interval)
        case (nil, let cron?):
            let expression: CronExpression
            do { expression = try CronExpression(cron) } catch { throw Invalid(field: "cron", reason: error.description) }
            let zoneName = timeZone ?? "UTC"
            guard let zone = TimeZone(identifier: zoneName) else {
                throw Invalid(field: "timeZone", reason: "'\(zoneName)' is not a time zone name such as UTC or Europe/Berlin")
            }
            guard expression.next(after: Date(), in: zone) != nil else {
                throw Invalid(field: "cron", reason: "'\(cron)' never matches a date")
            }
            return .cron(expression, zone)
        case (nil, nil):
            throw Invalid(field: "every", reason: "give an interval (every) or a cron line (cron)")
        case (.some, .some):
            throw Invalid(field: "cron", reason: "give an interval (every) or a cron line (cron), not both")
        }
    }

    static func grace(_ text: String?) throws(Invalid) -> Duration? {
        guard let text else { return nil }
        guard let grace = DurationText.parse(text), graceRange.contains(grace) else {
            throw Invalid(field: "misfireGrace", reason: "'\(text)' is not a duration from 1s to 7d")
        }
        return grace
    }
}

extension ScheduleTiming {
    /// The stored columns: interval seconds, cron line, time zone name.
    var columns: (interval: Double?, cron: String?, timeZone: String) {
        switch self {
        case .interval(let interval): return (interval.inSeconds, nil, "UTC")
        // Foundation names the zone of "UTC" "GMT"; the same zone is stored under the name people use.
        case .cron(let expression, let zone): return (nil, expression.description, zone.identifier == "GMT" ? "UTC" : zone.identifier)
        }
    }

    init(interval: Double?, cron: String?, timeZone: String) throws {
        if let interval {
            self = .interval(.milliseconds(Int64((interval * 1000).rounded())))
        } else {
            self = .cron(try CronExpression(cron ?? ""), TimeZone(identifier: timeZone) ?? .gmt)
        }
    }
}
