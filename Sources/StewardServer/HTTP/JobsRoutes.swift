import Foundation
import Hummingbird
import HummingbirdCore
import PostgresNIO
import StewardDatabase
import StewardJobs
import StewardModel

/// `/api/v1/jobs`: the job pool as people and scripts see it (viewers), with cancelling
/// (operators) and enqueueing by kind (admins: a job can do anything its kind does).
struct JobsRoutes {
    let runtime: NodeRuntime

    var jobs: JobRepository { JobRepository(logger: runtime.logger) }

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("jobs") { request, _ -> JobList in
            let filter = try Self.filter(request.uri.queryParameters)
            let database = runtime.database, jobs = self.jobs
            return try await jobs.list(filter, on: database)
        }
        api.get("jobs/stats") { request, _ -> JobStatsReport in
            let query = request.uri.queryParameters
            let grouping = try Self.grouping(query["by"].map(String.init) ?? "node,kind")
            let minutes = try query["minutes"].map { text -> Int in
                guard let value = Int(String(text)), (1...1440).contains(value) else {
                    throw APIError.badRequest("minutes must be 1-1440 (statistics are kept for a day)")
                }
                return value
            } ?? 60
            let database = runtime.database, jobs = self.jobs
            return try await jobs.stats(by: grouping, minutes: minutes, on: database)
        }
        api.get("jobs/{id}") { _, context -> JobRecord in
            let id = try Self.jobID(context)
            let database = runtime.database, jobs = self.jobs
            guard let job = try await jobs.find(id, on: database) else { throw APIError.notFound("no job \(id)") }
            return job
        }
        api.post("jobs/{id}/cancel") { request, context -> JobCancelled in
            let identity = try context.requireIdentity()
            let id = try Self.jobID(context)
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime, jobs = self.jobs
            return try await runtime.transaction { connection in
                guard let cancelled = try await jobs.cancel(id, on: connection) else { throw APIError.notFound("no job \(id)") }
                try await AuditTrail(runtime: runtime).record(
                    actor: identity.username, action: "job.cancel", target: String(id), source: source,
                    details: ["from": cancelled.previousState.rawValue, "to": cancelled.state.rawValue], on: connection)
                return cancelled
            }
        }
        api.post("jobs") { request, context -> Response in
            let identity = try context.requireIdentity()
            let wanted = try await request.decode(as: JobEnqueueRequest.self, context: context)
            let enqueued = try await enqueue([wanted], by: identity.username, request: request, context: context)
            return try AuthRoutes.json(enqueued[0], status: enqueued[0].created ? .created : .ok)
        }
        api.post("jobs/batch") { request, context -> Response in
            let identity = try context.requireIdentity()
            let batch = try await request.decode(as: JobBatchRequest.self, context: context)
            guard (1...1000).contains(batch.jobs.count) else { throw APIError.badRequest("jobs: 1 to 1000 jobs per batch") }
            let enqueued = try await enqueue(batch.jobs, by: identity.username, request: request, context: context)
            return try AuthRoutes.json(JobBatchEnqueued(jobs: enqueued), status: .created)
        }
    }

    /// Checks every job first (nothing is enqueued if one is wrong), then enqueues them all in one
    /// transaction, audited once.
    func enqueue(_ wanted: [JobEnqueueRequest], by actor: String, request: Request, context: StewardRequestContext) async throws -> [JobEnqueued] {
        let registry = runtime.jobs.registry
        var checked: [(request: JobEnqueueRequest, scope: JobScope, arguments: String)] = []
        for (index, job) in wanted.enumerated() {
            let field = wanted.count == 1 ? "" : "jobs[\(index)]."
            let arguments = (job.arguments ?? .object([:])).text
            if let problem = registry.problem(kind: job.kind, arguments: Data(arguments.utf8)) {
                throw APIError.badRequest("\(field)\(registry.scope(of: job.kind) == nil ? "kind" : "arguments"): \(problem)")
            }
            guard let scope = registry.scope(of: job.kind) else { continue }
            if scope == .local, job.node == nil { throw APIError.badRequest("\(field)node: \(job.kind) is a local job; name the node that runs it") }
            if scope == .pooled, job.node != nil { throw APIError.badRequest("\(field)node: \(job.kind) runs on any node; leave node out") }
            if let priority = job.priority, !(-100...100).contains(priority) { throw APIError.badRequest("\(field)priority: -100 to 100") }
            if let attempts = job.maxAttempts, !(1...100).contains(attempts) { throw APIError.badRequest("\(field)maxAttempts: 1 to 100") }
            if let key = job.idempotencyKey, !(1...200).contains(key.utf8.count) { throw APIError.badRequest("\(field)idempotencyKey: 1 to 200 bytes") }
            checked.append((job, scope, arguments))
        }
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime, logger = runtime.logger
        let kinds = Set(checked.map(\.request.kind)).sorted().joined(separator: ", ")
        return try await runtime.transaction { connection in
            var nodes: [String: NodeID] = [:]
            var enqueued: [JobEnqueued] = []
            for job in checked {
                var node: NodeID?
                if let name = job.request.node {
                    if nodes[name] == nil { nodes[name] = try await Self.nodeID(named: name, on: connection, logger: logger) }
                    node = nodes[name]
                }
                let options = JobOptions(idempotencyKey: job.request.idempotencyKey, runAt: job.request.runAt,
                                         priority: Int16(job.request.priority ?? 0), maxAttempts: job.request.maxAttempts, node: node)
                let result = try await JobQueue.enqueue(
                    kind: job.request.kind, scope: job.scope, argumentsJSON: job.arguments,
                    maxAttempts: job.request.maxAttempts ?? runtime.jobs.registry.defaultMaxAttempts(of: job.request.kind),
                    options: options, on: connection, logger: logger)
                enqueued.append(JobEnqueued(id: result.id, created: result.created))
            }
            try await AuditTrail(runtime: runtime).record(
                actor: actor, action: "job.enqueue", target: kinds, source: source,
                details: ["jobs": String(enqueued.count), "first": enqueued.first.map { String($0.id) } ?? ""], on: connection)
            return enqueued
        }
    }

    static func nodeID(named name: String, on connection: PostgresConnection, logger: Logger) async throws -> NodeID {
        guard let row = try await connection.run("""
            SELECT node_id FROM nodes WHERE name = \(name) AND state <> \(NodeState.decommissioned)
            """, logger: logger).first else { throw APIError.badRequest("node: no node named \(name.prefix(100))") }
        return NodeID(try row.decode(UUID.self))
    }

    static func jobID(_ context: StewardRequestContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), id > 0 else { throw APIError.badRequest("a job id is a positive number, not \(text.prefix(40))") }
        return id
    }

    static func filter(_ query: FlatDictionary<Substring, Substring>) throws -> JobRepository.Filter {
        var filter = JobRepository.Filter()
        if let states = query["state"] {
            filter.states = try states.split(separator: ",").map { text in
                guard let state = JobState(rawValue: String(text)) else {
                    throw APIError.badRequest("state: '\(text.prefix(40))' is not one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return state
            }
        }
        filter.kind = query["kind"].map(String.init)
        filter.node = query["node"].map(String.init)
        if let before = query["before"] {
            guard let value = Int64(String(before)) else { throw APIError.badRequest("before must be a job id") }
            filter.before = value
        }
        if let limit = query["limit"] {
            guard let value = Int(String(limit)), (1...1000).contains(value) else { throw APIError.badRequest("limit must be 1-1000") }
            filter.limit = value
        }
        return filter
    }

    static func grouping(_ text: String) throws -> [JobRepository.Grouping] {
        let parts = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        let grouping = try parts.map { part in
            guard let grouping = JobRepository.Grouping(rawValue: part) else {
                throw APIError.badRequest("by: node, kind or node,kind; not '\(part.prefix(40))'")
            }
            return grouping
        }
        guard !grouping.isEmpty, Set(grouping).count == grouping.count else { throw APIError.badRequest("by: node, kind or node,kind") }
        return grouping
    }
}
