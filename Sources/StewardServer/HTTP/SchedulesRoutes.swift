import Foundation
import Hummingbird
import PostgresNIO
import StewardDatabase
import StewardJobs
import StewardModel

/// `/api/v1/schedules`: cluster schedules. Viewers read them and their firings; operators pause and
/// resume; admins create, retune and delete (a schedule runs jobs of any kind). Every change is
/// audited and tells the leader to look again at once.
struct SchedulesRoutes {
    let runtime: NodeRuntime

    var schedules: ScheduleRepository { ScheduleRepository(logger: runtime.logger) }

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("schedules") { _, _ -> ScheduleList in
            let database = runtime.database, schedules = self.schedules
            return ScheduleList(schedules: try await schedules.list(on: database))
        }
        api.get("schedules/{schedule}") { _, context -> ScheduleRecord in
            let reference = try context.parameters.require("schedule")
            let database = runtime.database, schedules = self.schedules
            return try await Self.answer { try await schedules.find(reference, on: database) }
        }
        api.get("schedules/{schedule}/firings") { request, context -> ScheduleFirings in
            let reference = try context.parameters.require("schedule")
            let limit = try request.uri.queryParameters["limit"].map { text -> Int in
                guard let value = Int(String(text)), (1...10_000).contains(value) else { throw APIError.badRequest("limit must be 1-10000") }
                return value
            } ?? 100
            let database = runtime.database, schedules = self.schedules
            return try await Self.answer { try await schedules.firings(reference, limit: limit, on: database) }
        }
        api.post("schedules") { request, context -> Response in
            let wanted = try await request.decode(as: ScheduleCreateRequest.self, context: context)
            let definition: ScheduleDefinition
            do {
                definition = try ScheduleDefinition(wanted, registry: runtime.jobs.registry)
            } catch let invalid as ScheduleDefinition.Invalid {
                throw APIError.badRequest(invalid.description)
            }
            let schedules = self.schedules
            let created = try await change(request, context, action: "schedule.create", target: definition.name) { connection, actor in
                let id = try await schedules.create(definition, createdBy: actor, on: connection)
                return try await schedules.find(String(id ?? 0), on: connection)
            }
            return try AuthRoutes.json(created, status: .created)
        }
        api.patch("schedules/{schedule}") { request, context -> ScheduleRecord in
            let reference = try context.parameters.require("schedule")
            let retune = try await request.decode(as: ScheduleChange.self, context: context)
            let schedules = self.schedules, registry = runtime.jobs.registry
            return try await change(request, context, action: "schedule.retune", target: reference) { connection, _ in
                try await schedules.retune(reference, retune, registry: registry, on: connection)
            }
        }
        for (verb, paused) in [("pause", true), ("resume", false)] {
            api.post("schedules/{schedule}/\(verb)") { request, context -> ScheduleRecord in
                let reference = try context.parameters.require("schedule")
                let schedules = self.schedules
                return try await change(request, context, action: "schedule.\(verb)", target: reference) { connection, _ in
                    try await schedules.setPaused(reference, paused, on: connection)
                }
            }
        }
        api.delete("schedules/{schedule}") { request, context -> ScheduleRecord in
            let reference = try context.parameters.require("schedule")
            let schedules = self.schedules
            return try await change(request, context, action: "schedule.delete", target: reference) { connection, _ in
                try await schedules.delete(reference, on: connection)
            }
        }
    }

    /// A change in one transaction with its audit entry and the leader's wake-up.
    func change(_ request: Request, _ context: StewardRequestContext, action: String, target: String,
                _ body: @escaping @Sendable (PostgresConnection, String) async throws -> ScheduleRecord) async throws -> ScheduleRecord {
        let identity = try context.requireIdentity()
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime
        return try await Self.answer {
            try await runtime.transaction { connection in
                let record = try await body(connection, identity.username)
                try await AuditTrail(runtime: runtime).record(
                    actor: identity.username, action: action, target: record.name, source: source,
                    details: ["kind": record.kind, "every": record.every ?? "", "cron": record.cron ?? "", "paused": String(record.paused)],
                    on: connection)
                try await connection.run("SELECT pg_notify(\(JobQueue.channel), 'schedules')", logger: runtime.logger)
                return record
            }
        }
    }

    /// The repository's refusals as 404, 409 and 400.
    static func answer<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as ScheduleRepository.Failure {
            if case .notFound = failure { throw APIError.notFound(failure.description) }
            throw APIError.conflict(failure.description)
        } catch let invalid as ScheduleDefinition.Invalid {
            throw APIError.badRequest(invalid.description)
        }
    }
}
