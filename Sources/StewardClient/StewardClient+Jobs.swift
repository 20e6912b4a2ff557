import Foundation
import StewardModel

extension StewardClient {
    public struct JobQuery: Sendable {
        public var states: [JobState] = []
        public var kind: String?
        public var node: String?
        public var before: Int64?
        public var limit: Int?
        public init(states: [JobState] = [], kind: String? = nil, node: String? = nil, before: Int64? = nil, limit: Int? = nil) {
            self.states = states
            self.kind = kind
            self.node = node
            self.before = before
            self.limit = limit
        }

        var queryString: String {
            var items: [String] = []
            if !states.isEmpty { items.append("state=" + states.map(\.rawValue).joined(separator: ",")) }
            if let kind { items.append("kind=" + StewardClient.escape(kind)) }
            if let node { items.append("node=" + StewardClient.escape(node)) }
            if let before { items.append("before=\(before)") }
            if let limit { items.append("limit=\(limit)") }
            return items.isEmpty ? "" : "?" + items.joined(separator: "&")
        }
    }

    public func jobs(_ query: JobQuery = .init()) async throws -> JobList {
        try await get("/api/v1/jobs" + query.queryString, as: JobList.self)
    }

    public func job(_ id: Int64) async throws -> JobRecord {
        try await get("/api/v1/jobs/\(id)", as: JobRecord.self)
    }

    public func cancelJob(_ id: Int64) async throws -> JobCancelled {
        try await send(.POST, "/api/v1/jobs/\(id)/cancel", as: JobCancelled.self)
    }

    public func enqueueJob(_ request: JobEnqueueRequest) async throws -> JobEnqueued {
        try await send(.POST, "/api/v1/jobs", body: request, as: JobEnqueued.self)
    }

    public func enqueueJobs(_ requests: [JobEnqueueRequest]) async throws -> [JobEnqueued] {
        try await send(.POST, "/api/v1/jobs/batch", body: JobBatchRequest(jobs: requests), as: JobBatchEnqueued.self).jobs
    }

    /// `by`: "node", "kind" or "node,kind".
    public func jobStats(by: String = "node,kind", minutes: Int = 60) async throws -> JobStatsReport {
        try await get("/api/v1/jobs/stats?by=\(Self.escape(by))&minutes=\(minutes)", as: JobStatsReport.self)
    }

    public func schedules() async throws -> [ScheduleRecord] {
        try await get("/api/v1/schedules", as: ScheduleList.self).schedules
    }

    public func schedule(_ reference: String) async throws -> ScheduleRecord {
        try await get("/api/v1/schedules/\(Self.escape(reference))", as: ScheduleRecord.self)
    }

    public func createSchedule(_ request: ScheduleCreateRequest) async throws -> ScheduleRecord {
        try await send(.POST, "/api/v1/schedules", body: request, as: ScheduleRecord.self)
    }

    public func retuneSchedule(_ reference: String, _ change: ScheduleChange) async throws -> ScheduleRecord {
        try await send(.PATCH, "/api/v1/schedules/\(Self.escape(reference))", body: change, as: ScheduleRecord.self)
    }

    public func pauseSchedule(_ reference: String) async throws -> ScheduleRecord {
        try await send(.POST, "/api/v1/schedules/\(Self.escape(reference))/pause", as: ScheduleRecord.self)
    }

    public func resumeSchedule(_ reference: String) async throws -> ScheduleRecord {
        try await send(.POST, "/api/v1/schedules/\(Self.escape(reference))/resume", as: ScheduleRecord.self)
    }

    public func deleteSchedule(_ reference: String) async throws -> ScheduleRecord {
        try await send(.DELETE, "/api/v1/schedules/\(Self.escape(reference))", as: ScheduleRecord.self)
    }

    public func scheduleFirings(_ reference: String, limit: Int = 100) async throws -> ScheduleFirings {
        try await get("/api/v1/schedules/\(Self.escape(reference))/firings?limit=\(limit)", as: ScheduleFirings.self)
    }

    /// `GET /metrics`: the Prometheus text.
    public func metricsText() async throws -> String {
        let response = try await raw(.GET, "/metrics")
        guard response.status == 200 else { throw ClientError(response: response) }
        return response.text
    }
}
