import Logging
import PostgresNIO
import StewardModel

/// Applies `Migrations.all` under a transaction-scoped advisory lock, so that nodes starting
/// together serialize here and the migrations run exactly once. DDL is transactional in
/// PostgreSQL: a node killed mid-migration leaves the schema as it was.
public struct SchemaMigrator: Sendable {
    /// The advisory lock key every Steward node uses for schema changes ("steward" in ASCII).
    public static let lockKey: Int64 = 0x7374_6577_6172_64

    public let migrations: [Migration]
    public let logger: Logger

    public init(migrations: [Migration] = Migrations.all, logger: Logger) {
        self.migrations = migrations
        self.logger = logger
    }

    public struct Outcome: Sendable {
        public var applied: [Int] = []
        public var schemaVersion: Int = 0
    }

    /// Takes the lock for the rest of `connection`'s current transaction. Waits as long as the
    /// migration limit allows (another node may be migrating), not the usual statement timeout.
    public static func lock(_ connection: PostgresConnection, logger: Logger, wait: Duration = .seconds(300)) async throws {
        try await connection.run("SET LOCAL statement_timeout = \(unescaped: String(wait.inMilliseconds))", logger: logger)
        // lock_timeout (a few seconds on every connection) would otherwise cut this wait short.
        try await connection.run("SET LOCAL lock_timeout = \(unescaped: String(wait.inMilliseconds))", logger: logger)
        try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
    }

    /// Brings the schema up to date; call inside a transaction that holds `lock`.
    public func migrate(_ connection: PostgresConnection) async throws -> Outcome {
        let applied = try await appliedMigrations(connection)
        if applied.isEmpty { try await refuseForeignDatabase(connection) }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        let latest = migrations.last?.version ?? 0
        if let newest = applied.keys.max(), newest > latest {
            throw DatabaseError(.schemaTooNew,
                "the database schema is at version \(newest), newer than this steward-server \(StewardVersion.current) knows (version \(latest)); the cluster has been upgraded: install the cluster's version of Steward on this node")
        }
        for (version, checksum) in applied where known[version]?.checksum != checksum {
            throw DatabaseError(.migrationChanged,
                "schema migration \(version) in the database differs from this build's copy; this steward-server was built from modified migrations and must not run against this database")
        }
        var outcome = Outcome()
        try await connection.run("""
            CREATE TABLE IF NOT EXISTS steward_schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                applied_by text NOT NULL
            )
            """, logger: logger)
        for migration in migrations where applied[migration.version] == nil {
            logger.info("applying schema migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            for statement in migration.statements {
                try await connection.run(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.run("""
                INSERT INTO steward_schema_migrations (version, name, checksum, applied_by)
                VALUES (\(migration.version), \(migration.name), \(migration.checksum), \(StewardVersion.current.description))
                """, logger: logger)
            outcome.applied.append(migration.version)
        }
        outcome.schemaVersion = latest
        return outcome
    }

    func appliedMigrations(_ connection: PostgresConnection) async throws -> [Int: String] {
        let exists = try await connection.run(
            "SELECT to_regclass('steward_schema_migrations') IS NOT NULL", logger: logger
        ).first?.decode(Bool.self) ?? false
        guard exists else { return [:] }
        var applied: [Int: String] = [:]
        for row in try await connection.run("SELECT version, checksum FROM steward_schema_migrations", logger: logger) {
            let (version, checksum) = try row.decode((Int, String).self)
            applied[version] = checksum
        }
        return applied
    }

    /// A database that holds tables but no Steward schema belongs to something else.
    func refuseForeignDatabase(_ connection: PostgresConnection) async throws {
        let rows = try await connection.run("""
            SELECT n.nspname || '.' || c.relname
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            ORDER BY 1 LIMIT 3
            """, logger: logger)
        let names = try rows.map { try $0.decode(String.self) }
        guard names.isEmpty else {
            throw DatabaseError(.notSteward,
                "the database is not empty and holds no Steward schema (it has \(names.joined(separator: ", "))…); point database.url at an empty database or at this cluster's database")
        }
    }
}
