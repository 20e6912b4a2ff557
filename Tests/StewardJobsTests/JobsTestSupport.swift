import Foundation
@testable import StewardJobs

/// An instant written as ISO 8601 with its offset, such as "2026-01-05T10:07:30Z".
func instant(_ text: String) -> Date {
    do { return try Date(text, strategy: .iso8601) } catch { fatalError("'\(text)' is not an ISO 8601 instant: \(error)") }
}

/// An instant that many seconds after the Unix epoch.
func epoch(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

let utc = TimeZone(identifier: "UTC")!
let berlin = TimeZone(identifier: "Europe/Berlin")!

func cron(_ line: String) -> CronExpression {
    do { return try CronExpression(line) } catch { fatalError("'\(line)' should parse: \(error)") }
}

/// The next firings of `line` after `start`, in order.
func firings(_ line: String, after start: Date, in zone: TimeZone = utc, count: Int) -> [Date] {
    let expression = cron(line)
    var result: [Date] = []
    var current = start
    while result.count < count, let next = expression.next(after: current, in: zone) {
        result.append(next)
        current = next
    }
    return result
}

/// A job as the worker holds it after a claim.
func claimedJob(id: Int64 = 7, kind: String = "test.count", attempt: Int = 1, maxAttempts: Int = 5, fencingToken: Int64 = 42) -> ClaimedJob {
    ClaimedJob(id: id, kind: kind, arguments: Data(#"{"n":1}"#.utf8), attempt: attempt, maxAttempts: maxAttempts, fencingToken: fencingToken)
}
