import Foundation
import Testing
@testable import StewardJobs

@Suite("Cron lines: what is accepted")
struct CronParsingTests {
    @Test("*/15 fires on the quarter hours, every hour, every day")
    func everyQuarterHour() {
        let expression = cron("*/15 * * * *")
        #expect(expression.minutes == [0, 15, 30, 45])
        #expect(expression.hours == Set(0...23))
        #expect(expression.days == Set(1...31))
        #expect(expression.months == Set(1...12))
        #expect(expression.weekdays == Set(0...6))
        #expect(!expression.daysRestricted)
        #expect(!expression.weekdaysRestricted)
        #expect(expression.description == "*/15 * * * *")
    }

    @Test("weekday names and ranges: mon-fri is Monday to Friday")
    func weekdayRange() {
        let expression = cron("0 3 * * mon-fri")
        #expect(expression.minutes == [0])
        #expect(expression.hours == [3])
        #expect(expression.weekdays == [1, 2, 3, 4, 5])
        #expect(expression.weekdaysRestricted)
        #expect(!expression.daysRestricted)
    }

    @Test("a list of days of the month")
    func dayList() {
        let expression = cron("30 2 1,15 * *")
        #expect(expression.minutes == [30])
        #expect(expression.hours == [2])
        #expect(expression.days == [1, 15])
        #expect(expression.daysRestricted)
        #expect(!expression.weekdaysRestricted)
    }

    @Test("@daily is midnight every day")
    func dailyShorthand() {
        let expression = cron("@daily")
        #expect(expression.description == "0 0 * * *")
        #expect(expression == cron("0 0 * * *"))
        #expect(cron("@hourly") == cron("0 * * * *"))
        #expect(cron("@weekly") == cron("0 0 * * 0"))
        #expect(cron("@monthly") == cron("0 0 1 * *"))
        #expect(cron("@yearly") == cron("0 0 1 1 *"))
    }

    @Test("month and weekday names: jan,jul and sun")
    func monthNames() {
        let expression = cron("0 0 * jan,jul sun")
        #expect(expression.months == [1, 7])
        #expect(expression.weekdays == [0])
    }

    @Test("names are case-insensitive")
    func upperCaseNames() {
        #expect(cron("0 0 * JAN MON").months == [1])
        #expect(cron("0 0 * JAN MON").weekdays == [1])
    }

    @Test("weekday 7 is Sunday, like 0")
    func sevenIsSunday() {
        #expect(cron("0 0 * * 7").weekdays == [0])
        #expect(cron("0 0 * * 5-7").weekdays == [0, 5, 6])
    }

    @Test("steps over a range and from a start value")
    func steps() {
        #expect(cron("0-30/10 * * * *").minutes == [0, 10, 20, 30])
        #expect(cron("5/20 * * * *").minutes == [5, 25, 45])
        #expect(cron("0 */6 * * *").hours == [0, 6, 12, 18])
    }

    @Test("tabs and extra spaces separate fields")
    func whitespace() {
        #expect(cron("  0\t3  * * *  ").description == "0 3 * * *")
    }
}

@Suite("Cron lines: what is refused")
struct CronRefusalTests {
    func refusal(_ line: String) -> String? {
        do {
            _ = try CronExpression(line)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("six fields are refused, naming the five a line has")
    func sixFields() throws {
        let message = try #require(refusal("0 0 * * * *"))
        #expect(message.contains("has 6 fields"))
        #expect(message.contains("minute hour day month weekday"))
    }

    @Test("one word that is no shorthand is refused")
    func word() throws {
        let message = try #require(refusal("foo"))
        #expect(message.contains("'foo'"))
        #expect(message.contains("a cron line has 5"))
    }

    @Test("an empty line is refused")
    func empty() {
        #expect(refusal("") != nil)
    }

    @Test("minute 61 is refused as a minute")
    func minuteOutOfRange() {
        #expect(refusal("61 * * * *") == "'61' is not a minute (0-59)")
    }

    @Test("weekday 8 is refused as a weekday")
    func weekdayOutOfRange() throws {
        let message = try #require(refusal("* * * * 8"))
        #expect(message.hasPrefix("'8' is not a weekday (0-7"))
    }

    @Test("hour 24, day 0 and month 13 name their fields")
    func otherFields() throws {
        #expect(try #require(refusal("0 24 * * *")).contains("hour (0-23)"))
        #expect(try #require(refusal("0 0 0 * *")).contains("is not a day of month"))
        #expect(try #require(refusal("0 0 * 13 *")).contains("is not a month"))
        #expect(try #require(refusal("0 0 * foo *")).contains("'foo' is not a month"))
    }

    @Test("a backwards range is refused")
    func backwardsRange() {
        #expect(refusal("5-1 * * * *") == "the minute range '5-1' runs backwards")
    }

    @Test("a step of 0 is refused")
    func zeroStep() {
        #expect(refusal("*/0 * * * *") == "'0' is not a step (a positive number) in the minute field")
    }

    @Test("empty list items and double steps are refused")
    func malformed() throws {
        #expect(try #require(refusal("1,,2 * * * *")).contains("minute"))
        #expect(try #require(refusal("*/2/3 * * * *")).contains("minute"))
        #expect(try #require(refusal("* * * * -1")).contains("weekday"))
    }
}

@Suite("Cron lines: when they fire next")
struct CronNextTests {
    func next(_ line: String, after text: String, in zone: TimeZone = utc) -> Date? {
        cron(line).next(after: instant(text), in: zone)
    }

    @Test("*/15 after 10:07:30 fires at 10:15")
    func quarterHour() {
        #expect(next("*/15 * * * *", after: "2026-01-05T10:07:30Z") == instant("2026-01-05T10:15:00Z"))
        #expect(next("*/15 * * * *", after: "2026-01-05T10:45:00Z") == instant("2026-01-05T11:00:00Z"))
        #expect(next("*/15 * * * *", after: "2026-01-05T23:59:59Z") == instant("2026-01-06T00:00:00Z"))
    }

    @Test("the next firing is strictly after the instant: 03:00 exactly goes to tomorrow")
    func strictlyAfter() {
        #expect(next("0 3 * * *", after: "2026-01-05T03:00:00Z") == instant("2026-01-06T03:00:00Z"))
        #expect(next("0 3 * * *", after: "2026-01-05T02:59:59Z") == instant("2026-01-05T03:00:00Z"))
        #expect(next("5 * * * *", after: "2026-01-05T10:05:00Z") == instant("2026-01-05T11:05:00Z"))
    }

    @Test("every minute: the next whole minute")
    func everyMinute() {
        #expect(next("* * * * *", after: "2026-01-05T10:07:30Z") == instant("2026-01-05T10:08:00Z"))
        #expect(next("* * * * *", after: "2026-01-05T10:07:00Z") == instant("2026-01-05T10:08:00Z"))
    }

    @Test("day 31 skips the months without one: from February to March 31")
    func thirtyFirst() {
        #expect(next("0 0 31 * *", after: "2026-02-01T00:00:00Z") == instant("2026-03-31T00:00:00Z"))
        #expect(next("0 0 31 * *", after: "2026-01-31T00:00:00Z") == instant("2026-03-31T00:00:00Z"))
        #expect(next("0 0 31 * *", after: "2026-03-31T00:00:00Z") == instant("2026-05-31T00:00:00Z"))
    }

    @Test("February 29 waits for the leap year")
    func leapDay() {
        #expect(next("0 0 29 2 *", after: "2026-01-01T00:00:00Z") == instant("2028-02-29T00:00:00Z"))
    }

    @Test("the last minute of the year")
    func newYearsEve() {
        #expect(next("59 23 31 12 *", after: "2026-06-01T00:00:00Z") == instant("2026-12-31T23:59:00Z"))
        #expect(next("59 23 31 12 *", after: "2026-12-31T23:59:00Z") == instant("2027-12-31T23:59:00Z"))
    }

    @Test("weekdays only: after Friday comes Monday")
    func weekdaysOnly() {
        // 2026-01-09 is a Friday.
        #expect(next("0 3 * * mon-fri", after: "2026-01-09T03:00:00Z") == instant("2026-01-12T03:00:00Z"))
    }

    @Test("Sundays in January and July: after the last January Sunday comes July 5")
    func sundaysInJanuaryAndJuly() {
        #expect(next("0 0 * jan,jul sun", after: "2026-01-01T00:00:00Z") == instant("2026-01-04T00:00:00Z"))
        #expect(next("0 0 * jan,jul sun", after: "2026-01-25T00:00:00Z") == instant("2026-07-05T00:00:00Z"))
    }

    @Test("weekday 7 fires on Sundays")
    func sevenFiresOnSunday() {
        #expect(next("0 0 * * 7", after: "2026-01-01T00:00:00Z") == instant("2026-01-04T00:00:00Z"))
    }

    @Test("day of month and weekday both restricted: either one fires (the 13th or a Friday)")
    func dayOrWeekday() {
        // January 2026: Fridays are the 2nd, 9th, 16th; the 13th is a Tuesday.
        let dates = firings("0 0 13 * fri", after: instant("2026-01-01T00:00:00Z"), count: 4)
        #expect(dates == [instant("2026-01-02T00:00:00Z"), instant("2026-01-09T00:00:00Z"),
                          instant("2026-01-13T00:00:00Z"), instant("2026-01-16T00:00:00Z")])
    }

    @Test("only the day of month restricted: the weekday does not matter")
    func dayOnly() {
        let dates = firings("30 2 1,15 * *", after: instant("2026-01-01T00:00:00Z"), count: 3)
        #expect(dates == [instant("2026-01-01T02:30:00Z"), instant("2026-01-15T02:30:00Z"), instant("2026-02-01T02:30:00Z")])
    }

    @Test("*/2 in the day of month fires on odd days, not every day")
    func dayOfMonthStep() {
        #expect(next("0 0 */2 * *", after: "2026-01-01T00:00:00Z") == instant("2026-01-03T00:00:00Z"))
    }

    @Test("*/2 in the weekday fires on Sunday, Tuesday, Thursday and Saturday only")
    func weekdayStep() {
        #expect(next("0 0 * * */2", after: "2026-01-01T00:00:00Z") == instant("2026-01-03T00:00:00Z"))
    }

    @Test("Europe/Berlin 09:00 is 08:00Z in winter and 07:00Z in summer")
    func berlinNine() {
        #expect(next("0 9 * * *", after: "2026-01-15T00:00:00Z", in: berlin) == instant("2026-01-15T08:00:00Z"))
        #expect(next("0 9 * * *", after: "2026-07-15T00:00:00Z", in: berlin) == instant("2026-07-15T07:00:00Z"))
    }

    @Test("a zone's day starts at its own midnight: Berlin midnight is 23:00Z the day before")
    func berlinMidnight() {
        #expect(next("@daily", after: "2026-01-15T22:30:00Z", in: berlin) == instant("2026-01-15T23:00:00Z"))
        #expect(next("0 0 * * fri", after: "2026-01-15T22:30:00Z", in: berlin) == instant("2026-01-15T23:00:00Z"))  // Friday the 16th, Berlin
    }

    @Test("spring forward: 02:30 does not exist in Berlin on 2026-03-29, so that day is skipped")
    func springForwardGap() {
        let dates = firings("30 2 * * *", after: instant("2026-03-27T12:00:00Z"), in: berlin, count: 2)
        #expect(dates == [instant("2026-03-28T01:30:00Z"),   // 02:30 CET
                          instant("2026-03-30T00:30:00Z")])  // 02:30 CEST
    }

    @Test("spring forward: hourly firings go from 01:00 CET to 03:00 CEST")
    func springForwardHourly() {
        let dates = firings("0 * * * *", after: instant("2026-03-29T00:00:00Z"), in: berlin, count: 2)
        #expect(dates == [instant("2026-03-29T01:00:00Z"),   // 03:00 CEST
                          instant("2026-03-29T02:00:00Z")])  // 04:00 CEST
    }

    @Test("fall back: 02:30 happens twice in Berlin on 2026-10-25 and fires once, the first time")
    func fallBackOnce() {
        let dates = firings("30 2 * * *", after: instant("2026-10-24T12:00:00Z"), in: berlin, count: 2)
        #expect(dates == [instant("2026-10-25T00:30:00Z"),   // 02:30 CEST, the first 02:30
                          instant("2026-10-26T01:30:00Z")])  // 02:30 CET, the next day
    }

    @Test("fall back: from inside the repeated hour, the second 02:30 does not fire")
    func fallBackSecondPass() {
        // 00:45Z is 02:45 CEST; the second 02:30 (CET) is 01:30Z.
        #expect(next("30 2 * * *", after: "2026-10-25T00:45:00Z", in: berlin) == instant("2026-10-26T01:30:00Z"))
    }

    @Test("February 30 never comes: nil")
    func neverMatches() {
        #expect(next("0 0 30 2 *", after: "2026-01-01T00:00:00Z") == nil)
        #expect(next("0 0 31 4 *", after: "2026-01-01T00:00:00Z") == nil)
    }

    @Test("February 30 or a Monday: the Monday fires")
    func impossibleDayOrWeekday() {
        // 2026-01-05 is a Monday, but the month is February: the first Monday of February is the 2nd.
        #expect(next("0 0 30 2 mon", after: "2026-01-01T00:00:00Z") == instant("2026-02-02T00:00:00Z"))
    }
}
