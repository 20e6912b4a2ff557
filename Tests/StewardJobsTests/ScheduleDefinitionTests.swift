import Foundation
import StewardModel
import Testing
@testable import StewardJobs

/// A pooled kind that takes a number.
struct CountKind: JobKind {
    struct Arguments: Codable, Sendable { var n: Int }
    static let name = "test.count"
    func run(_ arguments: Arguments, context: JobContext) async throws -> JobNoOutput { JobNoOutput() }
}

/// A local kind with no arguments.
struct EchoKind: JobKind {
    struct Arguments: Codable, Sendable {}
    static let name = "test.echo"
    static var scope: JobScope { .local }
    func run(_ arguments: Arguments, context: JobContext) async throws -> JobNoOutput { JobNoOutput() }
}

@Suite("Creating a schedule: what is accepted and refused")
struct ScheduleDefinitionTests {
    let registry: JobRegistry = {
        var registry = JobRegistry()
        registry.register(CountKind())
        registry.register(EchoKind())
        return registry
    }()

    func request(name: String = "nightly-count", kind: String = "test.count", arguments: JSONValue? = .object(["n": .number(3)]),
                 every: String? = nil, cron: String? = nil, timeZone: String? = nil, misfire: MisfirePolicy? = nil,
                 misfireGrace: String? = nil, paused: Bool? = nil) -> ScheduleCreateRequest {
        ScheduleCreateRequest(name: name, kind: kind, arguments: arguments, every: every, cron: cron, timeZone: timeZone,
                              misfire: misfire, misfireGrace: misfireGrace, paused: paused)
    }

    func refusal(_ request: ScheduleCreateRequest) -> ScheduleDefinition.Invalid? {
        do {
            _ = try ScheduleDefinition(request, registry: registry)
            return nil
        } catch {
            return error
        }
    }

    @Test("the registry lists its kinds by name, sorted")
    func registryNames() {
        #expect(registry.names == ["test.count", "test.echo"])
        #expect(registry.scope(of: "test.count") == .pooled)
        #expect(registry.scope(of: "test.echo") == .local)
        #expect(registry.scope(of: "test.nope") == nil)
        #expect(registry.defaultMaxAttempts(of: "test.count") == 5)
    }

    @Test("the registry checks arguments against the kind's type")
    func registryProblems() throws {
        #expect(registry.problem(kind: "test.count", arguments: Data(#"{"n":3}"#.utf8)) == nil)
        let wrongType = try #require(registry.problem(kind: "test.count", arguments: Data(#"{"n":"three"}"#.utf8)))
        #expect(wrongType.hasPrefix("the arguments do not suit test.count: "))
        #expect(registry.problem(kind: "test.count", arguments: Data("{}".utf8)) != nil)
        #expect(registry.problem(kind: "test.count", arguments: Data("not json".utf8)) != nil)
        #expect(registry.problem(kind: "test.nope", arguments: Data("{}".utf8)) == "no job kind 'test.nope'; known kinds: test.count, test.echo")
    }

    @Test("a cron schedule with a time zone is accepted as given")
    func validCron() throws {
        let definition = try ScheduleDefinition(request(cron: "0 3 * * mon-fri", timeZone: "Europe/Berlin"), registry: registry)
        #expect(definition.name == "nightly-count")
        #expect(definition.kind == "test.count")
        #expect(definition.scope == .pooled)
        #expect(definition.argumentsJSON == #"{"n":3}"#)
        #expect(definition.timing == .cron(cron("0 3 * * mon-fri"), berlin))
        #expect(definition.misfire == .fireOnce)
        #expect(definition.misfireGrace == .seconds(60))
        #expect(definition.paused == false)
    }

    @Test("a cron schedule without a time zone runs in UTC")
    func cronDefaultsToUTC() throws {
        let definition = try ScheduleDefinition(request(cron: "@daily"), registry: registry)
        guard case .cron(let expression, let zone) = definition.timing else {
            Issue.record("expected a cron timing, got \(definition.timing)")
            return
        }
        #expect(expression == cron("0 0 * * *"))
        #expect(zone.secondsFromGMT(for: instant("2026-01-15T00:00:00Z")) == 0)
        #expect(zone.secondsFromGMT(for: instant("2026-07-15T00:00:00Z")) == 0)
        #expect(definition.timing.slot(after: instant("2026-07-15T10:00:00Z")) == instant("2026-07-16T00:00:00Z"))
    }

    @Test("a cron schedule in UTC keeps the zone name UTC")
    func utcKeepsItsName() throws {
        let definition = try ScheduleDefinition(request(cron: "@daily", timeZone: "UTC"), registry: registry)
        #expect(definition.timing.columns.timeZone == "UTC")
    }

    @Test("an interval schedule with the misfire settings given")
    func validInterval() throws {
        let definition = try ScheduleDefinition(request(name: "Count_1.a", every: "10m", misfire: .skip, misfireGrace: "2h", paused: true),
                                                registry: registry)
        #expect(definition.timing == .interval(.seconds(600)))
        #expect(definition.misfire == .skip)
        #expect(definition.misfireGrace == .seconds(7200))
        #expect(definition.paused)
    }

    @Test("a local kind's schedule is local")
    func localKind() throws {
        let definition = try ScheduleDefinition(request(kind: "test.echo", arguments: nil, every: "1h"), registry: registry)
        #expect(definition.scope == .local)
        #expect(definition.argumentsJSON == "{}")
    }

    @Test("an unknown kind is refused, naming the known kinds")
    func unknownKind() throws {
        let invalid = try #require(refusal(request(kind: "test.nope", every: "1m")))
        #expect(invalid.field == "kind")
        #expect(invalid.reason == "no job kind 'test.nope'; known kinds: test.count, test.echo")
        #expect(invalid.description.hasPrefix("kind: "))
    }

    @Test("arguments that do not decode as the kind's are refused")
    func badArguments() throws {
        let wrongType = try #require(refusal(request(arguments: .object(["n": .string("three")]), every: "1m")))
        #expect(wrongType.field == "arguments")
        #expect(wrongType.reason.contains("test.count"))
        let missing = try #require(refusal(request(arguments: nil, every: "1m")))
        #expect(missing.field == "arguments")
        let notAnObject = try #require(refusal(request(arguments: .array([]), every: "1m")))
        #expect(notAnObject.field == "arguments")
    }

    @Test("both an interval and a cron line are refused")
    func bothTimings() throws {
        let invalid = try #require(refusal(request(every: "1m", cron: "* * * * *")))
        #expect(invalid.field == "cron")
        #expect(invalid.reason.contains("not both"))
    }

    @Test("neither an interval nor a cron line is refused")
    func noTiming() throws {
        let invalid = try #require(refusal(request()))
        #expect(invalid.field == "every")
        #expect(invalid.reason.contains("cron"))
    }

    @Test("an interval under a second is refused; 1 s is the minimum")
    func tooShortInterval() throws {
        let invalid = try #require(refusal(request(every: "500ms")))
        #expect(invalid.field == "every")
        #expect(invalid.reason.contains("'500ms'"))
        #expect(refusal(request(every: "0s"))?.field == "every")
        #expect(try ScheduleDefinition(request(every: "1s"), registry: registry).timing == .interval(.seconds(1)))
    }

    @Test("an interval over 366 days, or not a duration, is refused")
    func badInterval() {
        #expect(refusal(request(every: "367d"))?.field == "every")
        #expect(refusal(request(every: "soon"))?.field == "every")
        #expect(refusal(request(every: "10"))?.field == "every")
    }

    @Test("an unknown time zone is refused")
    func badTimeZone() throws {
        let invalid = try #require(refusal(request(cron: "0 3 * * *", timeZone: "Mars/Olympus_Mons")))
        #expect(invalid.field == "timeZone")
        #expect(invalid.reason.contains("'Mars/Olympus_Mons'"))
    }

    @Test("a time zone with an interval is refused")
    func timeZoneWithInterval() throws {
        let invalid = try #require(refusal(request(every: "1h", timeZone: "Europe/Berlin")))
        #expect(invalid.field == "timeZone")
    }

    @Test("a cron line that does not parse is refused with the parser's reason")
    func badCron() throws {
        let invalid = try #require(refusal(request(cron: "61 * * * *")))
        #expect(invalid.field == "cron")
        #expect(invalid.reason == "'61' is not a minute (0-59)")
    }

    @Test("a cron line that never matches is refused")
    func neverMatchingCron() throws {
        let invalid = try #require(refusal(request(cron: "0 0 30 2 *")))
        #expect(invalid.field == "cron")
        #expect(invalid.reason.contains("never matches"))
    }

    @Test("a name with a space is refused")
    func nameWithSpace() throws {
        let invalid = try #require(refusal(request(name: "nightly count", every: "1h")))
        #expect(invalid.field == "name")
    }

    @Test("empty, too long and non-ASCII names are refused")
    func otherBadNames() {
        #expect(refusal(request(name: "", every: "1h"))?.field == "name")
        #expect(refusal(request(name: String(repeating: "a", count: 101), every: "1h"))?.field == "name")
        #expect(refusal(request(name: "zählen", every: "1h"))?.field == "name")
        #expect(refusal(request(name: "a/b", every: "1h"))?.field == "name")
        #expect(refusal(request(name: String(repeating: "a", count: 100), every: "1h")) == nil)
    }

    @Test("a name of digits and punctuation alone is refused: such a reference is an id")
    func digitsOnlyName() {
        #expect(refusal(request(name: "42", every: "1h"))?.field == "name")
        #expect(refusal(request(name: "1.5-2", every: "1h"))?.field == "name")
        #expect(refusal(request(name: "nightly2", every: "1h")) == nil)
    }

    @Test("a misfire grace outside 1 s to 7 d is refused")
    func badGrace() {
        #expect(refusal(request(every: "1h", misfireGrace: "0s"))?.field == "misfireGrace")
        #expect(refusal(request(every: "1h", misfireGrace: "8d"))?.field == "misfireGrace")
        #expect(refusal(request(every: "1h", misfireGrace: "7d")) == nil)
    }
}
