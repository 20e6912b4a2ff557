import PostgresNIO
import StewardDatabase
import StewardTesting
import Testing

@Suite("Schema migrations under the advisory lock")
struct SchemaMigratorTests {
    @Test("three migrators racing on an empty database: migrations run exactly once")
    func racingMigrators() async throws {
        try await withDatabase { database in
            let outcomes = try await withThrowingTaskGroup(of: SchemaMigrator.Outcome.self) { group in
                for _ in 0..<3 { group.addTask { try await migrate(database) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { !$0.applied.isEmpty }.count == 1)
            #expect(outcomes.allSatisfy { $0.schemaVersion == Migrations.latestVersion })
            let applied = try await database.withConnection { connection, logger in
                try await connection.query("SELECT count(*)::int FROM steward_schema_migrations", logger: logger).collect().first?.decode(Int.self)
            }
            #expect(applied == Migrations.all.count)
        }
    }

    @Test("running again applies nothing")
    func idempotent() async throws {
        try await withDatabase { database in
            let first = try await migrate(database)
            let second = try await migrate(database)
            #expect(first.applied == Migrations.all.map(\.version))
            #expect(second.applied.isEmpty)
        }
    }

    @Test("a database holding someone else's tables is refused, naming them")
    func foreignDatabase() async throws {
        try await withDatabase { database in
            try await database.execute("CREATE TABLE invoices (id int)")
            let error = await readableError { _ = try await migrate(database) }
            #expect((error as? DatabaseError)?.code == .notSteward)
            #expect("\(error!)".contains("public.invoices"))
            // Nothing of ours was created.
            let created = try await database.withConnection { connection, logger in
                try await connection.query("SELECT to_regclass('cluster') IS NOT NULL", logger: logger).collect().first?.decode(Bool.self)
            }
            #expect(created == false)
        }
    }

    @Test("a schema newer than this build is refused with an upgrade instruction")
    func newerSchema() async throws {
        try await withDatabase { database in
            _ = try await migrate(database)
            try await database.execute("INSERT INTO steward_schema_migrations (version, name, checksum, applied_by) VALUES (999, 'future', 'x', '9.0.0')")
            let error = await readableError { _ = try await migrate(database) }
            #expect((error as? DatabaseError)?.code == .schemaTooNew)
            #expect("\(error!)".contains("version 999"))
        }
    }

    @Test("a migration whose text changed after it was applied is refused")
    func changedMigration() async throws {
        try await withDatabase { database in
            _ = try await migrate(database)
            var edited = Migrations.all
            let first = edited[0]
            edited[0] = Migration(version: first.version, name: first.name, statements: first.statements + ["SELECT 1"])
            let error = await readableError { _ = try await migrate(database, migrations: edited) }
            #expect((error as? DatabaseError)?.code == .migrationChanged)
        }
    }

    @Test("a failing migration leaves nothing behind (DDL is transactional)")
    func failedMigrationRollsBack() async throws {
        try await withDatabase { database in
            let broken = Migrations.all + [Migration(version: Migrations.latestVersion + 1, name: "broken", statements: [
                "CREATE TABLE half_done (id int)", "THIS IS NOT SQL",
            ])]
            let error = await readableError { _ = try await migrate(database, migrations: broken) }
            #expect(error != nil)
            let state = try await database.withConnection { connection, logger in
                try await connection.query("SELECT to_regclass('half_done') IS NULL, to_regclass('steward_schema_migrations') IS NULL", logger: logger)
                    .collect().first?.decode((Bool, Bool).self)
            }
            #expect(state?.0 == true)
            #expect(state?.1 == true)
        }
    }
}
