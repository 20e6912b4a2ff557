import Logging
import PostgresNIO

/// Serializes changes of the shared keystore file across the cluster: a rotation, retirement or
/// reseal holds it exclusively for its transaction (read the file, change it, write it); storing a
/// secret holds it shared, so no value is written with a data key being retired at that moment.
public enum KeystoreLock {
    static let key: Int64 = 0x7374_6B65_7973  // "stkeys"

    public static func exclusive(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("SELECT pg_advisory_xact_lock(\(key))", logger: logger)
    }

    public static func shared(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run("SELECT pg_advisory_xact_lock_shared(\(key))", logger: logger)
    }
}
