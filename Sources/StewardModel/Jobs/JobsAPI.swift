import Foundation

/// One job as `GET /api/v1/jobs/{id}` shows it.
public struct JobRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var state: JobState
    public var arguments: JSONValue
    /// What the handler returned, when its completion was accepted.
    public var result: JSONValue?
    /// Attempts made so far (the running one included).
    public var attempt: Int
    public var maxAttempts: Int
    public var priority: Int
    public var runAt: Date
    public var createdAt: Date
    public var attemptedAt: Date?
    public var finishedAt: Date?
    /// The node that holds (or last held) the job.
    public var node: String?
    /// For local jobs: the only node that runs it.
    public var targetNode: String?
    public var fencingToken: Int64?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    public var idempotencyKey: String?
    public var cancelRequested: Bool

    public init(id: Int64, kind: String, state: JobState, arguments: JSONValue, result: JSONValue?, attempt: Int, maxAttempts: Int,
                priority: Int, runAt: Date, createdAt: Date, attemptedAt: Date?, finishedAt: Date?, node: String?, targetNode: String?,
                fencingToken: Int64?, leaseExpiresAt: Date?, lastError: String?, idempotencyKey: String?, cancelRequested: Bool) {
        self.id = id
        self.kind = kind
        self.state = state
        self.arguments = arguments
        self.result = result
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.priority = priority
        self.runAt = runAt
        self.createdAt = createdAt
        self.attemptedAt = attemptedAt
        self.finishedAt = finishedAt
        self.node = node
        self.targetNode = targetNode
        self.fencingToken = fencingToken
        self.leaseExpiresAt = leaseExpiresAt
        self.lastError = lastError
        self.idempotencyKey = idempotencyKey
        self.cancelRequested = cancelRequested
    }
}

/// `GET /api/v1/jobs`: newest first; `next` is the `before` of the following page.
public struct JobList: Codable, Sendable, Equatable {
    public var jobs: [JobRecord]
    public var next: Int64?
    public init(jobs: [JobRecord], next: Int64?) {
        self.jobs = jobs
        self.next = next
    }
}

/// `POST /api/v1/jobs` (one) and, as a list, `POST /api/v1/jobs/batch`.
public struct JobEnqueueRequest: Codable, Sendable, Equatable {
    public var kind: String
    public var arguments: JSONValue?
    public var idempotencyKey: String?
    public var runAt: Date?
    public var priority: Int?
    public var maxAttempts: Int?
    /// For local kinds: the node (by name) that runs it.
    public var node: String?

    public init(kind: String, arguments: JSONValue? = nil, idempotencyKey: String? = nil, runAt: Date? = nil, priority: Int? = nil,
                maxAttempts: Int? = nil, node: String? = nil) {
        self.kind = kind
        self.arguments = arguments
        self.idempotencyKey = idempotencyKey
        self.runAt = runAt
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.node = node
    }
}

public struct JobBatchRequest: Codable, Sendable, Equatable {
    public var jobs: [JobEnqueueRequest]
    public init(jobs: [JobEnqueueRequest]) { self.jobs = jobs }
}

public struct JobEnqueued: Codable, Sendable, Equatable {
    public var id: Int64
    /// False when the idempotency key named an existing job.
    public var created: Bool
    public init(id: Int64, created: Bool) {
        self.id = id
        self.created = created
    }
}

public struct JobBatchEnqueued: Codable, Sendable, Equatable {
    public var jobs: [JobEnqueued]
    public init(jobs: [JobEnqueued]) { self.jobs = jobs }
}

/// `POST /api/v1/jobs/{id}/cancel`: a waiting job is cancelled at once; a running one is asked to stop.
public struct JobCancelled: Codable, Sendable, Equatable {
    public var id: Int64
    public var previousState: JobState
    public var state: JobState
    public var message: String
    public init(id: Int64, previousState: JobState, state: JobState, message: String) {
        self.id = id
        self.previousState = previousState
        self.state = state
        self.message = message
    }
}

/// `GET /api/v1/jobs/stats?by=node|kind|node,kind&minutes=60`.
public struct JobStatsReport: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var node: String?
        public var kind: String?
        public var succeeded: Int
        public var failed: Int
        public var retried: Int
        /// Handler run time of every attempt counted here, in seconds.
        public var runSeconds: Double
        public var meanRunMilliseconds: Double?
        public init(node: String?, kind: String?, succeeded: Int, failed: Int, retried: Int, runSeconds: Double, meanRunMilliseconds: Double?) {
            self.node = node
            self.kind = kind
            self.succeeded = succeeded
            self.failed = failed
            self.retried = retried
            self.runSeconds = runSeconds
            self.meanRunMilliseconds = meanRunMilliseconds
        }
    }

    /// One minute of one group, for charts.
    public struct Point: Codable, Sendable, Equatable {
        public var minute: Date
        public var node: String?
        public var kind: String?
        public var succeeded: Int
        public var failed: Int
        public var retried: Int
        public var runMilliseconds: Int64
        public init(minute: Date, node: String?, kind: String?, succeeded: Int, failed: Int, retried: Int, runMilliseconds: Int64) {
            self.minute = minute
            self.node = node
            self.kind = kind
            self.succeeded = succeeded
            self.failed = failed
            self.retried = retried
            self.runMilliseconds = runMilliseconds
        }
    }

    public var by: [String]
    public var minutes: Int
    public var since: Date
    public var rows: [Row]
    public var series: [Point]
    /// Jobs waiting now (ready to run, and scheduled later), and running now.
    public var ready: Int
    public var scheduled: Int
    public var running: Int

    public init(by: [String], minutes: Int, since: Date, rows: [Row], series: [Point], ready: Int, scheduled: Int, running: Int) {
        self.by = by
        self.minutes = minutes
        self.since = since
        self.rows = rows
        self.series = series
        self.ready = ready
        self.scheduled = scheduled
        self.running = running
    }
}
