import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// Nodes dying, pausing and losing the lead while jobs run. The test cluster's timing: heartbeat
/// 1 s, offline after 4 s (a job's lease and the leader's lease are the offline limit).
@Suite("Job pool under failure: killed and paused nodes, leader failover", .serialized)
struct JobFailoverTests {
    static let offlineAfter: Duration = .seconds(4)
    static let interval: Duration = .seconds(1)

    @Test("a node SIGKILLed mid-job: its jobs run again on the others within offline-after plus one interval, attempt counted, none lost")
    func killedMidJob() async throws {
        try await TestCluster.with { cluster in
            let nodes = [try await cluster.startWorker("node-a"), try await cluster.startWorker("node-b"), try await cluster.startWorker("node-c")]
            let admin = try await cluster.adminClient(nodes[0])
            let log = cluster.executionLog
            let jobs = try await admin.enqueueJobs((0..<12).map { recordJob("kill-\($0)", sleepMillis: 6000) })
            try await waitFor("every job started", timeout: .seconds(20)) { Set(log.lines.map(\.job)).count == 12 }
            // Kill the node that runs the most.
            let busiest = Dictionary(grouping: log.lines, by: \.node).max { $0.value.count < $1.value.count }!.key
            let victim = try #require(nodes.first { $0.name == busiest })
            let victimPid = String(victim.pid)
            let stranded = Set(log.lines.filter { $0.pid == victimPid }.map(\.job))
            await victim.kill9()
            let killedAt = ContinuousClock.now
            try await waitFor("the stranded jobs started again elsewhere", timeout: .seconds(20)) {
                stranded.allSatisfy { job in log.starts(of: Int64(job)!).contains { $0.pid != victimPid } }
            }
            let rescuedAfter = ContinuousClock.now - killedAt
            print("stranded jobs running again \(rescuedAfter) after the SIGKILL (bound: offline-after \(Self.offlineAfter) + interval \(Self.interval))")
            // Polling adds up to a tenth of a second; a loaded machine a little more.
            #expect(rescuedAfter < Self.offlineAfter + Self.interval + .seconds(2))
            try await waitFor("all 12 jobs completed", timeout: .seconds(40)) { try await cluster.jobStates()["completed"] == 12 }
            // Through a node that is still up: the victim may be the one `admin` talks to.
            let survivor = try await cluster.adminClient(try #require(nodes.first { $0.name != busiest }))
            for job in jobs {
                let record = try await survivor.job(job.id)
                let starts = log.starts(of: job.id)
                if stranded.contains(String(job.id)) {
                    #expect(record.attempt == 2, "job \(job.id) was cut off once: attempt \(record.attempt)")
                    #expect(starts.count == 2 && starts[0].pid == victimPid && starts[1].pid != victimPid)
                    #expect(record.lastError?.contains("cut off on \(busiest)") == true, "\(record.lastError ?? "-")")
                } else {
                    #expect(record.attempt == 1 && starts.count == 1, "job \(job.id): attempt \(record.attempt), \(starts.count) starts")
                }
            }
        }
    }

    @Test("a node SIGSTOPped mid-job past its lease, then SIGCONTed: its completion is refused by the fencing token; the new owner's result stands")
    func pausedPastLease() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.startWorker("node-a")
            let b = try await cluster.startWorker("node-b")
            let admin = try await cluster.adminClient(a)
            let log = cluster.executionLog
            let job = try await admin.enqueueJob(recordJob("paused", sleepMillis: 5000))
            try await waitFor("the job started", timeout: .seconds(10)) { !log.starts(of: job.id).isEmpty }
            let first = log.starts(of: job.id)[0]
            let (paused, other) = first.node == "node-a" ? (a, b) : (b, a)
            let otherAdmin = try await cluster.adminClient(other)
            paused.signal(SIGSTOP)
            defer { paused.signal(SIGCONT) }
            try await waitFor("the job completed on the other node", timeout: .seconds(30)) {
                log.ends(of: job.id).contains { $0.node == other.name }
            }
            try await waitFor("the job recorded as completed", timeout: .seconds(10)) { try await otherAdmin.job(job.id).state == .completed }
            paused.signal(SIGCONT)
            do {
                try await waitFor("the woken node's write refused", in: cluster.logFile(of: paused.name), count: 1,
                                  text: "job \(job.id) (test.record): this node's result is not recorded", timeout: .seconds(20))
            } catch {
                Issue.record("\(error); \(paused.name) printed: \(paused.output.prefix(6000))")
                return
            }
            let record = try await otherAdmin.job(job.id)
            #expect(record.state == .completed)
            #expect(record.node == other.name)
            guard case .object(let result)? = record.result, case .string(let node)? = result["node"], case .number(let token)? = result["token"] else {
                Issue.record("no result: \(String(describing: record.result))")
                return
            }
            #expect(node == other.name)
            #expect(Int64(token) == record.fencingToken)
            #expect(Int64(token) != Int64(first.token), "the result carries the second claim's token")
            let metrics: String
            do { metrics = try await cluster.adminClient(paused).metricsText() } catch {
                let logged = (try? String(contentsOfFile: cluster.logFile(of: paused.name), encoding: .utf8)) ?? ""
                Issue.record("\(error); \(paused.name) running=\(paused.isRunning) status=\(String(describing: paused.exitStatus)) printed: \(paused.output.suffix(8000)) logged: \(logged.suffix(6000))")
                return
            }
            #expect(metrics.contains("steward_jobs_rejected_completions_total 1"), "\(metrics)")
        }
    }

    @Test("the leader SIGKILLed: another node takes the lease with a new term and acts within the lease")
    func leaderKilled() async throws {
        try await TestCluster.with { cluster in
            let nodes = [try await cluster.startWorker("node-a"), try await cluster.startWorker("node-b"), try await cluster.startWorker("node-c")]
            let admin = try await cluster.adminClient(nodes[0])
            _ = try await admin.createSchedule(ScheduleCreateRequest(name: "tick", kind: "test.record", arguments: .object(["tag": .string("tick")]), every: "1s"))
            var leader: (name: String, term: Int64)?
            try await waitFor("a leader", timeout: .seconds(15)) { leader = try await cluster.leader(); return leader != nil }
            let old = try #require(leader)
            let victim = try #require(nodes.first { $0.name == old.name })
            await victim.kill9()
            let killedAt = ContinuousClock.now
            var successor: (name: String, term: Int64)?
            try await waitFor("a new leader", timeout: .seconds(20)) {
                successor = try await cluster.leader()
                return successor.map { $0.term != old.term } ?? false
            }
            let elected = ContinuousClock.now - killedAt
            let new = try #require(successor)
            #expect(new.name != old.name && new.term > old.term)
            // It acts: a slot fired under the new term.
            try await waitFor("a firing under the new term", timeout: .seconds(10)) {
                try await cluster.rows("SELECT count(*)::int FROM schedule_firings WHERE term = \(new.term)") { try $0.decode(Int.self) }.first ?? 0 > 0
            }
            let acted = ContinuousClock.now - killedAt
            print("new leader elected \(elected) and firing \(acted) after the SIGKILL (lease \(Self.offlineAfter), candidates look every \(Self.interval))")
            #expect(elected < Self.offlineAfter + Self.interval + .seconds(2))
            let log = try String(contentsOfFile: cluster.logFile(of: new.name), encoding: .utf8)
            #expect(log.contains("this node leads the cluster (term \(new.term))"))
        }
    }

    @Test("10,000 jobs enqueued through three nodes all complete; a duplicate execution only where a node was killed")
    func tenThousandJobs() async throws {
        try await TestCluster.with { cluster in
            let started = ContinuousClock.now
            let killedPid = try await enqueueTenThousand(cluster)
            let log = cluster.executionLog
            try await waitFor("10,000 jobs completed", timeout: .seconds(240)) { try await cluster.jobStates()["completed"] == 10_000 }
            print("10,000 jobs enqueued and completed in \(ContinuousClock.now - started) on three nodes (one killed and restarted)")
            Self.expectOneExecutionEach(log.lines, exceptOn: killedPid, jobs: 10_000)
            let states = try await cluster.jobStates()
            #expect(states == ["completed": 10_000], "\(states)")
        }
    }

    /// Every execution has its own id; every job ran, and a job that ran more than once had all
    /// its earlier runs on the killed process.
    static func expectOneExecutionEach(_ lines: [ExecutionLog.Line], exceptOn killedPid: String, jobs: Int) {
        let executions = lines.filter { $0.phase == "start" }
        #expect(Set(executions.map(\.execution)).count == executions.count, "every execution has its own id")
        let byJob = Dictionary(grouping: executions, by: \.job)
        #expect(byJob.count == jobs)
        var unexplained: [String] = []
        for (job, starts) in byJob where starts.count > 1 && !starts.dropLast().allSatisfy({ $0.pid == killedPid }) {
            unexplained.append("job \(job) ran \(starts.count) times: \(starts.map(\.node))")
        }
        #expect(unexplained.isEmpty, "\(unexplained.prefix(10))")
        print("\(executions.count - byJob.count) jobs ran twice, each first on the killed process")
    }

    /// Ten batches of 1,000 through the three nodes in turn; node-c is SIGKILLed (with jobs in hand)
    /// after the sixth and started again. Returns the killed process's pid.
    func enqueueTenThousand(_ cluster: TestCluster) async throws -> String {
        var nodes = [try await cluster.startWorker("node-a"), try await cluster.startWorker("node-b"), try await cluster.startWorker("node-c")]
        var clients: [StewardClient] = []
        for node in nodes { clients.append(try await cluster.adminClient(node)) }
        var killedPid = ""
        for batch in 0..<10 {
            _ = try await clients[batch % 3].enqueueJobs((0..<1000).map { recordJob("bulk-\(batch)-\($0)") })
            if batch == 5 {
                killedPid = String(nodes[2].pid)
                await nodes[2].kill9()
                nodes[2] = try await cluster.startWorker("node-c")
                clients[2] = try await cluster.adminClient(nodes[2])
            }
        }
        return killedPid
    }
}
