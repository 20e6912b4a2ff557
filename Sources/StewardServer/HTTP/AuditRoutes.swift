import Hummingbird
import StewardDatabase
import StewardModel

/// `GET /api/v1/audit?limit=&before=&action=` (admins): the audit log, newest first.
struct AuditRoutes {
    let runtime: NodeRuntime

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("audit") { request, _ -> [AuditEntry] in
            let query = request.uri.queryParameters
            let limit = try query["limit"].map { text -> Int in
                guard let value = Int(String(text)), (1...1000).contains(value) else { throw APIError.badRequest("limit must be 1-1000") }
                return value
            } ?? 100
            let before = try query["before"].map { text -> Int64 in
                guard let value = Int64(String(text)) else { throw APIError.badRequest("before must be an audit entry id") }
                return value
            }
            let action = query["action"].map(String.init)
            return try await AuditRepository(logger: runtime.logger).list(limit: limit, before: before, action: action, on: runtime.database)
        }
    }
}
