import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("Job pool: jobs run once on any node, retries, errors, cancelling, idempotency")
struct JobPoolTests {
    @Test("jobs enqueued through the API run on the nodes, each once, and their results are kept")
    func jobsRun() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.startWorker("node-a")
            let b = try await cluster.startWorker("node-b")
            let admin = try await cluster.adminClient(a)
            let enqueued = try await admin.enqueueJobs((0..<40).map { recordJob("smoke-\($0)", sleepMillis: 50) })
            #expect(enqueued.count == 40 && enqueued.allSatisfy(\.created))
            try await waitFor("40 jobs completed", timeout: .seconds(30)) {
                try await cluster.jobStates()["completed"] == 40
            }
            let log = cluster.executionLog
            for job in enqueued {
                #expect(log.starts(of: job.id).count == 1, "job \(job.id) started \(log.starts(of: job.id).count) times")
            }
            let nodes = Set(log.lines.map(\.node))
            #expect(nodes == ["node-a", "node-b"], "both nodes worked: \(nodes)")
            let record = try await admin.job(enqueued[0].id)
            #expect(record.state == .completed)
            #expect(record.attempt == 1)
            guard case .object(let result)? = record.result, case .string(let node)? = result["node"] else {
                Issue.record("no result: \(String(describing: record.result))")
                return
            }
            #expect(node == record.node)
            _ = b
        }
    }
}
