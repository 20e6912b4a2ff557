import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardJobs
import StewardModel
import StewardTesting
import Testing

/// Enqueueing on a real database: a job is part of the caller's transaction.
@Suite("Enqueueing in the caller's transaction")
struct JobQueueTests {
    func withMigratedDatabase(_ body: (TestDatabase) async throws -> Void) async throws {
        let database = try await TestPostgres.shared.createDatabase()
        try await withAsyncCleanup {
            try await database.withConnection { connection, logger in
                try await connection.withTransaction(logger: logger) { connection in
                    try await SchemaMigrator.lock(connection, logger: logger)
                    _ = try await SchemaMigrator(logger: logger).migrate(connection)
                }
            }
            try await body(database)
        } cleanup: { await database.drop() }
    }

    func jobCount(_ database: TestDatabase) async throws -> Int {
        try await database.withConnection { connection, logger in
            try await connection.query("SELECT count(*)::int FROM jobs", logger: logger).collect()[0].decode(Int.self)
        }
    }

    struct Rollback: Error {}

    @Test("rolled back with the caller's change, the job is gone too; committed, it is there, ready to claim")
    func followsTheTransaction() async throws {
        try await withMigratedDatabase { database in
            try await database.withConnection { connection, logger in
                do {
                    try await connection.withTransaction(logger: logger) { connection in
                        try await JobQueue.enqueue(NoopJob.self, .init(note: "rolled back"), on: connection, logger: logger)
                        throw Rollback()
                    }
                } catch let error as PostgresTransactionError where error.closureError is Rollback {}
            }
            #expect(try await jobCount(database) == 0)
            let enqueued = try await database.withConnection { connection, logger in
                try await connection.withTransaction(logger: logger) { connection in
                    try await JobQueue.enqueue(NoopJob.self, .init(note: "kept"), on: connection, logger: logger)
                }
            }
            #expect(enqueued.created)
            let row = try await database.withConnection { connection, logger in
                try await connection.query("SELECT kind, state, args->>'note' FROM jobs WHERE job_id = \(enqueued.id)", logger: logger)
                    .collect()[0].decode((String, String, String).self)
            }
            #expect(row == ("steward.noop", "available", "kept"))
        }
    }

    @Test("a second enqueue with the same idempotency key returns the first job and adds none")
    func idempotencyKey() async throws {
        try await withMigratedDatabase { database in
            try await database.withConnection { connection, logger in
                let first = try await JobQueue.enqueue(NoopJob.self, .init(), options: .init(idempotencyKey: "once"), on: connection, logger: logger)
                let second = try await JobQueue.enqueue(NoopJob.self, .init(note: "other"), options: .init(idempotencyKey: "once"),
                                                        on: connection, logger: logger)
                #expect(first.created && !second.created && first.id == second.id)
            }
            #expect(try await jobCount(database) == 1)
        }
    }

    @Test("enqueueMany adds all in one statement; a pooled kind given a node is refused before anything is written")
    func manyAndRefusals() async throws {
        try await withMigratedDatabase { database in
            try await database.withConnection { connection, logger in
                let ids = try await JobQueue.enqueueMany(NoopJob.self, Array(repeating: .init(), count: 250), on: connection, logger: logger)
                #expect(Set(ids).count == 250)
                do {
                    try await JobQueue.enqueue(NoopJob.self, .init(), options: .init(node: NodeID(UUID())), on: connection, logger: logger)
                    Issue.record("a pooled job with a node was enqueued")
                } catch let error as JobEnqueueError {
                    #expect(error.description.contains("steward.noop"), "\(error)")
                }
            }
            #expect(try await jobCount(database) == 250)
        }
    }
}
