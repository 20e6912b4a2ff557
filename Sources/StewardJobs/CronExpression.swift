import Foundation

/// A cron line, `min hour day month weekday`, as crontab(5) reads it: `*`, numbers, ranges `a-b`,
/// steps `*/n` and `a-b/n`, lists `a,b`, month and weekday names (`jan`, `mon`), 0 or 7 for Sunday,
/// and the shorthands `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. When both the day of
/// the month and the weekday are restricted, a day matching either fires (as in cron).
/// Written by hand: no package in our stack parses cron, and the grammar is small.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    /// 0 is Sunday.
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    static let shorthands = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                             "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    public init(_ text: String) throws(ParseError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        let expanded = Self.shorthands[trimmed] ?? trimmed
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(description: "'\(text)' has \(fields.count) fields; a cron line has 5: minute hour day month weekday (or @daily and the like)")
        }
        description = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], "minute", 0...59, names: [])
        hours = try Self.field(fields[1], "hour", 0...23, names: [])
        days = try Self.field(fields[2], "day of month", 1...31, names: [])
        months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, firstNameValue: 1)
        let weekdays = try Self.field(fields[4], "weekday", 0...7, names: Self.weekdayNames)
        self.weekdays = Set(weekdays.map { $0 == 7 ? 0 : $0 })
        daysRestricted = fields[2] != "*" && !fields[2].hasPrefix("*/")
        weekdaysRestricted = fields[4] != "*" && !fields[4].hasPrefix("*/")
    }

    static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String],
                      firstNameValue: Int = 0) throws(ParseError) -> Set<Int> {
        func value(_ token: Substring) throws(ParseError) -> Int {
            if let number = Int(token), range.contains(number) { return number }
            if let index = names.firstIndex(of: String(token)) { return index + firstNameValue }
            throw ParseError(description: "'\(token)' is not a \(name) (\(range.lowerBound)-\(range.upperBound)\(names.isEmpty ? "" : " or a name such as \(names[1])"))")
        }
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let base = pieces.first, !base.isEmpty else {
                throw ParseError(description: "'\(part)' is not a \(name) field")
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw ParseError(description: "'\(pieces[1])' is not a step (a positive number) in the \(name) field") }
                step = parsed
            }
            let bounds: ClosedRange<Int>
            if base == "*" {
                bounds = range
            } else if let dash = base.firstIndex(of: "-") {
                let low = try value(base[..<dash]), high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw ParseError(description: "the \(name) range '\(base)' runs backwards") }
                bounds = low...high
            } else {
                let single = try value(base)
                bounds = single...(pieces.count == 2 ? range.upperBound : single)
            }
            result.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return result
    }

    func matchesDay(day: Int, weekday: Int) -> Bool {
        // As in cron: when both fields are restricted either may match; when one starts with `*`
        // (`*` or `*/n`) both must, and a bare `*` holds every value.
        if daysRestricted && weekdaysRestricted { return days.contains(day) || weekdays.contains(weekday) }
        return days.contains(day) && weekdays.contains(weekday)
    }

    /// The first matching minute strictly after `instant`, on the wall clock of `timeZone`. A wall
    /// time that does not exist that day (the hour skipped when clocks go forward) does not fire;
    /// one that happens twice (clocks going back) fires once, the first time. Nil if nothing
    /// matches within eight years (such as `0 0 31 2 *`).
    public func next(after instant: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let sortedHours = hours.sorted(), sortedMinutes = minutes.sorted()
        guard var day = calendar.dateInterval(of: .day, for: instant)?.start else { return nil }
        let now = calendar.dateComponents([.hour], from: instant)
        // On the first day, wall times before the instant's own hour and minute cannot come after it
        // (short of a clock change, which the exact comparison below still handles within the hour).
        var earliestHour = max(0, (now.hour ?? 0) - 1)
        for _ in 0..<(366 * 8) {
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            if let year = parts.year, let month = parts.month, let dayOfMonth = parts.day, let weekday = parts.weekday,
               months.contains(month), matchesDay(day: dayOfMonth, weekday: weekday - 1) {
                for hour in sortedHours where hour >= earliestHour {
                    for minute in sortedMinutes {
                        let wanted = DateComponents(year: year, month: month, day: dayOfMonth, hour: hour, minute: minute)
                        guard let date = calendar.date(from: wanted), date > instant else { continue }
                        let actual = calendar.dateComponents([.day, .hour, .minute], from: date)
                        guard actual.day == dayOfMonth, actual.hour == hour, actual.minute == minute else { continue }
                        return date
                    }
                }
            }
            earliestHour = 0
            guard let following = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
            day = following
        }
        return nil
    }
}
