import Logging
import PostgresNIO
import StewardDatabase
import StewardTesting

/// Runs `body` with a fresh test database, dropped afterwards.
func withDatabase<T: Sendable>(_ body: (TestDatabase) async throws -> T) async throws -> T {
    let database = try await TestPostgres.shared.createDatabase()
    return try await withAsyncCleanup { try await body(database) } cleanup: { await database.drop() }
}

/// Migrates inside one transaction under the schema lock, as a starting node does.
func migrate(_ database: TestDatabase, migrations: [Migration] = Migrations.all) async throws -> SchemaMigrator.Outcome {
    try await database.withConnection { connection, logger in
        try await connection.withTransaction(logger: logger) { connection in
            try await SchemaMigrator.lock(connection, logger: logger)
            return try await SchemaMigrator(migrations: migrations, logger: logger).migrate(connection)
        }
    }
}

/// The readable form of whatever a migration threw.
func readableError(_ body: () async throws -> Void) async -> (any Error)? {
    do {
        try await body()
        return nil
    } catch {
        return DatabaseError.readable(error)
    }
}
