import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// How a job is enqueued.
public struct JobOptions: Sendable {
    /// A second enqueue with the same key returns the first job (whatever its state) instead of adding one.
    public var idempotencyKey: String?
    /// Not before this instant (database time is compared). Default: now.
    public var runAt: Date?
    /// Higher runs first.
    public var priority: Int16 = 0
    /// Default: the kind's.
    public var maxAttempts: Int?
    /// For local jobs: the node that runs it (required for them, refused for pooled jobs).
    public var node: NodeID?

    public init(idempotencyKey: String? = nil, runAt: Date? = nil, priority: Int16 = 0, maxAttempts: Int? = nil, node: NodeID? = nil) {
        self.idempotencyKey = idempotencyKey
        self.runAt = runAt
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.node = node
    }
}

public struct EnqueuedJob: Sendable, Equatable {
    public let id: Int64
    /// False when the idempotency key named a job that already existed.
    public let created: Bool
}

/// Refusals of `enqueue` before anything is written.
public struct JobEnqueueError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Enqueues jobs, on whatever runs the caller's queries: a connection inside the caller's
/// transaction (the job exists if and only if the change that caused it commits), or the pool.
/// Each enqueue also NOTIFYs `steward_jobs`, which PostgreSQL delivers at commit.
public enum JobQueue {
    public static let channel = "steward_jobs"

    @discardableResult
    public static func enqueue<Kind: JobKind>(_ kind: Kind.Type, _ arguments: Kind.Arguments, options: JobOptions = .init(),
                                              on runner: some QueryRunner, logger: Logger) async throws -> EnqueuedJob {
        try await enqueue(kind: Kind.name, scope: Kind.scope, argumentsJSON: try JobCoding.encodeText(arguments),
                          maxAttempts: options.maxAttempts ?? Kind.defaultMaxAttempts, options: options, on: runner, logger: logger)
    }

    /// Many jobs of one kind in one statement (and one NOTIFY).
    @discardableResult
    public static func enqueueMany<Kind: JobKind>(_ kind: Kind.Type, _ arguments: [Kind.Arguments], options: JobOptions = .init(),
                                                  on runner: some QueryRunner, logger: Logger) async throws -> [Int64] {
        guard options.idempotencyKey == nil else { throw JobEnqueueError("enqueueMany takes no idempotency key; enqueue each such job alone") }
        try check(kind: Kind.name, scope: Kind.scope, node: options.node)
        let texts = try arguments.map { try JobCoding.encodeText($0) }
        return try await runner.run("""
            WITH inserted AS (
                INSERT INTO jobs (kind, args, target_node, state, priority, run_at, max_attempts)
                SELECT \(Kind.name), a::jsonb, \(options.node?.uuid), 'available', \(options.priority),
                       coalesce(\(options.runAt), now()), \(options.maxAttempts ?? Kind.defaultMaxAttempts)
                FROM unnest(\(texts)::text[]) AS a
                RETURNING job_id
            )
            SELECT job_id, pg_notify(\(channel), \(wakePayload(options.node))) IS NULL FROM inserted
            """, logger: logger).map { try $0.decode((Int64, Bool).self).0 }
    }

    /// The untyped form, for the API and schedules (the kind was checked against the registry).
    public static func enqueue(kind: String, scope: JobScope, argumentsJSON: String, maxAttempts: Int, options: JobOptions,
                               on runner: some QueryRunner, logger: Logger) async throws -> EnqueuedJob {
        try check(kind: kind, scope: scope, node: options.node)
        guard (1...1000).contains(maxAttempts) else { throw JobEnqueueError("maxAttempts must be 1 to 1000, not \(maxAttempts)") }
        if let key = options.idempotencyKey, key.isEmpty || key.utf8.count > 200 {
            throw JobEnqueueError("an idempotency key is 1 to 200 bytes")
        }
        let rows = try await runner.run("""
            WITH inserted AS (
                INSERT INTO jobs (kind, args, target_node, state, priority, run_at, max_attempts, idempotency_key)
                VALUES (\(kind), \(argumentsJSON)::jsonb, \(options.node?.uuid), 'available', \(options.priority),
                        coalesce(\(options.runAt), now()), \(maxAttempts), \(options.idempotencyKey))
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING job_id
            )
            SELECT job_id, true, pg_notify(\(channel), \(wakePayload(options.node))) IS NULL FROM inserted
            UNION ALL
            SELECT job_id, false, false FROM jobs WHERE idempotency_key = \(options.idempotencyKey) AND NOT EXISTS (SELECT 1 FROM inserted)
            """, logger: logger)
        if let row = rows.first {
            let (id, created, _) = try row.decode((Int64, Bool, Bool).self)
            return EnqueuedJob(id: id, created: created)
        }
        // The same key was being inserted by a transaction that committed while this statement ran:
        // its row is visible only to a new statement.
        guard let key = options.idempotencyKey,
              let existing = try await runner.run("SELECT job_id FROM jobs WHERE idempotency_key = \(key)", logger: logger).first else {
            throw JobEnqueueError("the job was neither inserted nor found")
        }
        return EnqueuedJob(id: try existing.decode(Int64.self), created: false)
    }

    static func check(kind: String, scope: JobScope, node: NodeID?) throws {
        switch (scope, node) {
        case (.local, nil): throw JobEnqueueError("\(kind) is a local job: name the node that runs it")
        case (.pooled, .some): throw JobEnqueueError("\(kind) runs on any node: it cannot be given to one")
        default: break
        }
    }

    /// Idle workers wake on "wake"; a local job wakes only its node.
    static func wakePayload(_ node: NodeID?) -> String { node.map { "wake:\($0)" } ?? "wake" }
}
