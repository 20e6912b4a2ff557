import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("stewardctl jobs and schedules")
struct StewardctlJobsTests {
    /// Runs the real stewardctl against `node` as the admin.
    static func ctl(_ cluster: TestCluster, _ node: ServerProcess) async throws -> @Sendable ([String]) async throws -> Shell.Output {
        let token = try #require(try await cluster.adminClient(node).token)
        let environment = ["STEWARD_URL": node.httpsURL, "STEWARD_CA_FILE": cluster.caFile, "STEWARD_TOKEN": token,
                           "STEWARD_CONFIG": cluster.folder.file("none.json")]
        return { arguments in try await Binaries.stewardctl(arguments, environment: environment) }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ output: Shell.Output, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
        #expect(output.status == 0, "\(output.output)", sourceLocation: sourceLocation)
        return try JSONDecoder.iso.decode(T.self, from: Data(output.output.utf8))
    }

    @Test("jobs list (table, filters, paging, JSON), get of a discarded job, stats by kind, cancel of a job not yet due")
    func jobsCommands() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.startWorker("node-a")
            let admin = try await cluster.adminClient(node)
            let ctl = try await Self.ctl(cluster, node)
            let records = try await admin.enqueueJobs((0..<3).map { recordJob("cli-\($0)") })
            let failing = try await admin.enqueueJob(JobEnqueueRequest(kind: "test.fail"))
            let recordIDs = records.map(\.id)

            // Built-in schedules may enqueue jobs of their own meanwhile: checks look at the test kinds only.
            func testJobs(_ list: JobList) -> [Int64] { list.jobs.filter { $0.kind.hasPrefix("test.") }.map(\.id) }
            try await waitFor("the record jobs completed and the failing job discarded", timeout: .seconds(30)) {
                for id in recordIDs where try await admin.job(id).state != .completed { return false }
                return try await admin.job(failing.id).state == .discarded
            }

            let table = try await ctl(["jobs", "list"])
            #expect(table.status == 0, "\(table.output)")
            let lines = table.output.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("ID") == true && lines.first?.contains("LAST ERROR") == true, "\(table.output)")
            for id in recordIDs {
                #expect(lines.contains { $0.hasPrefix("\(id) ") && $0.contains("test.record") && $0.contains("completed") && $0.contains("1/") },
                        "job \(id) in: \(table.output)")
            }
            #expect(lines.contains { $0.hasPrefix("\(failing.id) ") && $0.contains("test.fail") && $0.contains("discarded") && $0.contains("3/3")
                && $0.contains("failed on purpose") }, "\(table.output)")
            #expect(!table.output.contains("more: --before"), "one page holds these few jobs: \(table.output)")

            let listed = try Self.decode(JobList.self, try await ctl(["jobs", "list", "--json"]))
            #expect(Set(testJobs(listed)) == Set(recordIDs + [failing.id]))
            #expect(listed.jobs.map(\.id) == listed.jobs.map(\.id).sorted(by: >), "newest first")
            #expect(listed.next == nil)

            let onlyFailed = try Self.decode(JobList.self, try await ctl(["jobs", "list", "--json", "--state", "discarded,cancelled", "--kind", "test.fail"]))
            #expect(onlyFailed.jobs.map(\.id) == [failing.id])
            let byNode = try Self.decode(JobList.self, try await ctl(["jobs", "list", "--json", "--node", "node-a"]))
            #expect(Set(testJobs(byNode)) == Set(recordIDs + [failing.id]), "every job ran on node-a")

            let page = ["jobs", "list", "--kind", "test.record", "--limit", "2"]
            let firstPage = try await ctl(page)
            #expect(firstPage.status == 0, "\(firstPage.output)")
            let pageJSON = try Self.decode(JobList.self, try await ctl(page + ["--json"]))
            let next = try #require(pageJSON.next, "a next page after two of three jobs")
            #expect(pageJSON.jobs.map(\.id) == [recordIDs[2], recordIDs[1]])
            #expect(firstPage.output.hasSuffix("more: --before \(next)\n"), "\(firstPage.output)")
            let secondPage = try Self.decode(JobList.self, try await ctl(page + ["--before", String(next), "--json"]))
            #expect(secondPage.jobs.map(\.id) == [recordIDs[0]] && secondPage.next == nil, "\(secondPage)")

            let discarded = try await ctl(["jobs", "get", String(failing.id)])
            #expect(discarded.status == 0, "\(discarded.output)")
            #expect(discarded.output.hasPrefix("FIELD"), "\(discarded.output)")
            #expect(discarded.output.contains("discarded") && discarded.output.contains("failed on purpose"), "\(discarded.output)")
            #expect(discarded.output.contains("3 of 3"), "\(discarded.output)")
            let discardedJSON = try Self.decode(JobRecord.self, try await ctl(["jobs", "get", String(failing.id), "--json"]))
            #expect(discardedJSON.state == .discarded)
            #expect(discardedJSON.lastError?.contains("failed on purpose") == true, "\(String(describing: discardedJSON.lastError))")
            let completed = try await ctl(["jobs", "get", String(recordIDs[0])])
            #expect(completed.output.contains(#"{"sleepMillis":0,"tag":"cli-0"}"#), "arguments as JSON text: \(completed.output)")
            #expect(completed.output.contains(#""node":"node-a""#), "the result as JSON text: \(completed.output)")
            let missing = try await ctl(["jobs", "get", "999999"])
            #expect(missing.status == 1 && missing.output.contains("no job 999999"), "\(missing.output)")

            do {
                try await waitFor("the statistics count the three record jobs", timeout: .seconds(30)) {
                    let report = try Self.decode(JobStatsReport.self, try await ctl(["jobs", "stats", "--by", "kind", "--json"]))
                    return report.rows.first { $0.kind == "test.record" }?.succeeded == 3
                }
                let report = try Self.decode(JobStatsReport.self, try await ctl(["jobs", "stats", "--by", "kind", "--json"]))
                #expect(report.by == ["kind"] && report.rows.allSatisfy { $0.node == nil })
                let stats = try await ctl(["jobs", "stats", "--by", "kind", "--minutes", "30"])
                #expect(stats.status == 0, "\(stats.output)")
                let statsLines = stats.output.split(separator: "\n").map(String.init)
                #expect(statsLines.first?.hasPrefix("KIND") == true && statsLines.first?.contains("NODE") == false, "\(stats.output)")
                #expect(statsLines.contains { $0.hasPrefix("test.record") && $0.contains(" 3 ") }, "\(stats.output)")
                #expect(statsLines.last?.hasPrefix("waiting: ") == true && statsLines.last?.contains("running: ") == true, "\(stats.output)")
                let both = try await ctl(["jobs", "stats"])
                #expect(both.output.hasPrefix("NODE") && both.output.contains("node-a"), "\(both.output)")
            }
            #expect(try await ctl(["jobs", "stats", "--by", "colour"]).status == 2)

            let later = try await admin.enqueueJob(JobEnqueueRequest(
                kind: "test.record", arguments: .object(["tag": .string("later")]), runAt: Date().addingTimeInterval(3600)))
            let cancel = try await ctl(["jobs", "cancel", String(later.id)])
            #expect(cancel.status == 0, "\(cancel.output)")
            #expect(cancel.output.contains("cancelled before it ran") && cancel.output.contains("available → cancelled"), "\(cancel.output)")
            #expect(try await admin.job(later.id).state == .cancelled)
            let again = try Self.decode(JobCancelled.self, try await ctl(["jobs", "cancel", String(later.id), "--json"]))
            #expect(again.previousState == .cancelled && again.state == .cancelled, "\(again)")
            #expect(try await ctl(["jobs", "list", "--state", "sleeping"]).status == 2)
        }
    }

    @Test("schedules create, list, firings, pause, resume, set, delete; built-ins cannot be deleted; bad input is refused clearly")
    func schedulesCommands() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.startWorker("node-a")
            let ctl = try await Self.ctl(cluster, node)

            let created = try await ctl(["schedules", "create", "cli-every", "--kind", "test.record", "--every", "2s",
                                         "--arguments", #"{"tag":"cli"}"#, "--misfire", "skip", "--misfire-grace", "30s"])
            #expect(created.status == 0, "\(created.output)")
            #expect(created.output.contains("schedule cli-every created"), "\(created.output)")
            #expect(created.output.contains("every 2s") && created.output.contains(#"{"tag":"cli"}"#) && created.output.contains("skip"),
                    "\(created.output)")
            let taken = try await ctl(["schedules", "create", "cli-every", "--kind", "test.record", "--every", "2s", "--arguments", #"{"tag":"again"}"#])
            #expect(taken.status == 1 && taken.output.contains("exists already"), "\(taken.output)")

            try await waitFor("a fired slot of cli-every", timeout: .seconds(30)) {
                let firings = try Self.decode(ScheduleFirings.self, try await ctl(["schedules", "firings", "cli-every", "--json"]))
                return firings.firings.contains { $0.outcome == "fired" && !$0.jobs.isEmpty }
            }
            let firings = try await ctl(["schedules", "firings", "cli-every"])
            #expect(firings.status == 0, "\(firings.output)")
            let firingLines = firings.output.split(separator: "\n").map(String.init)
            #expect(firingLines.first?.hasPrefix("SLOT") == true, "\(firings.output)")
            #expect(firingLines.dropFirst().contains { $0.contains("fired") && $0.contains("node-a") }, "\(firings.output)")
            let fired = try Self.decode(ScheduleFirings.self, try await ctl(["schedules", "firings", "cli-every", "--json", "--limit", "1"]))
            #expect(fired.schedule == "cli-every" && fired.firings.count == 1)
            let firedJob = try #require(fired.firings.first?.jobs.first)
            let job = try Self.decode(JobRecord.self, try await ctl(["jobs", "get", String(firedJob), "--json"]))
            #expect(job.kind == "test.record" && job.arguments == .object(["tag": .string("cli")]), "\(job)")

            func listed() async throws -> [ScheduleRecord] {
                try Self.decode([ScheduleRecord].self, try await ctl(["schedules", "list", "--json"]))
            }
            let table = try await ctl(["schedules", "list"])
            let row = table.output.split(separator: "\n").first { $0.hasPrefix("cli-every ") }.map(String.init) ?? ""
            #expect(row.contains("test.record") && row.contains("cluster") && row.contains("every 2s") && row.contains("active")
                && row.contains("fired"), "\(table.output)")

            let paused = try await ctl(["schedules", "pause", "cli-every"])
            #expect(paused.status == 0 && paused.output.contains("paused"), "\(paused.output)")
            #expect(try await listed().first { $0.name == "cli-every" }?.paused == true)
            let pausedRow = try await ctl(["schedules", "list"]).output.split(separator: "\n").first { $0.hasPrefix("cli-every ") } ?? ""
            #expect(pausedRow.contains("paused"), "\(pausedRow)")
            let resumed = try await ctl(["schedules", "resume", "cli-every"])
            #expect(resumed.status == 0 && resumed.output.contains("resumed"), "\(resumed.output)")
            #expect(try await listed().first { $0.name == "cli-every" }?.paused == false)

            let retuned = try Self.decode(ScheduleRecord.self, try await ctl(["schedules", "set", "cli-every", "--every", "1h", "--misfire", "fire-once", "--json"]))
            #expect(retuned.every == "1h" && retuned.misfire == .fireOnce && retuned.arguments == .object(["tag": .string("cli")]), "\(retuned)")
            let toCron = try await ctl(["schedules", "set", "cli-every", "--cron", "0 3 * * *", "--time-zone", "Europe/Berlin"])
            #expect(toCron.status == 0 && toCron.output.contains("cron 0 3 * * * Europe/Berlin"), "\(toCron.output)")
            #expect(try await ctl(["schedules", "set", "cli-every"]).status == 2, "nothing to change")

            let deleted = try await ctl(["schedules", "delete", "cli-every"])
            #expect(deleted.status == 0 && deleted.output.contains("deleted"), "\(deleted.output)")
            #expect(try await listed().contains { $0.name == "cli-every" } == false)
            let gone = try await ctl(["schedules", "firings", "cli-every"])
            #expect(gone.status == 1 && gone.output.contains("no schedule"), "\(gone.output)")

            try await waitFor("the leader added the built-in schedules", timeout: .seconds(30)) {
                try await listed().contains { $0.name == "purge-finished-jobs" && $0.builtIn }
            }
            let builtIn = try await ctl(["schedules", "delete", "purge-finished-jobs"])
            #expect(builtIn.status == 1, "\(builtIn.output)")
            #expect(builtIn.output.contains("built in"), "\(builtIn.output)")
            #expect(try await listed().contains { $0.name == "purge-finished-jobs" })
            let builtInRow = try await ctl(["schedules", "list"]).output.split(separator: "\n").first { $0.hasPrefix("purge-finished-jobs ") } ?? ""
            #expect(builtInRow.contains("built-in"), "\(builtInRow)")

            let notJSON = try await ctl(["schedules", "create", "x", "--kind", "test.record", "--every", "2s", "--arguments", "not json"])
            #expect(notJSON.status == 2, "\(notJSON.output)")
            #expect(notJSON.output.contains("--arguments is not JSON"), "\(notJSON.output)")
            let unknownKind = try await ctl(["schedules", "create", "y", "--kind", "no.such.kind", "--every", "1m"])
            #expect(unknownKind.status == 1, "\(unknownKind.output)")
            #expect(unknownKind.output.contains("no job kind 'no.such.kind'") && unknownKind.output.contains("known kinds")
                && unknownKind.output.contains("test.record"), "\(unknownKind.output)")
            let both = try await ctl(["schedules", "create", "z", "--kind", "test.record", "--every", "2s", "--cron", "* * * * *"])
            #expect(both.status == 2 && both.output.contains("not both"), "\(both.output)")
            let neither = try await ctl(["schedules", "create", "z", "--kind", "test.record"])
            #expect(neither.status == 2, "\(neither.output)")
            let badInterval = try await ctl(["schedules", "create", "z", "--kind", "test.record", "--every", "soon", "--arguments", #"{"tag":"z"}"#])
            #expect(badInterval.status == 1 && badInterval.output.contains("every"), "\(badInterval.output)")
            #expect(try await listed().contains { ["x", "y", "z"].contains($0.name) } == false)
        }
    }
}
