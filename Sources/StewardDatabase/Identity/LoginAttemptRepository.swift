import Logging
import PostgresNIO

/// Login attempts, counted across the whole cluster. Callers serialize attempts per account
/// and per address with `lock`, so that "N failures then locked" holds exactly however many
/// nodes receive attempts at the same moment.
public struct LoginAttemptRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    /// Transaction-scoped advisory locks on the account name and the address, always in that order.
    public func lock(username: String, sourceAddress: String, on connection: PostgresConnection) async throws {
        try await connection.run("""
            SELECT pg_advisory_xact_lock(hashtextextended('steward.login.user:' || lower(\(username)), 0)),
                   pg_advisory_xact_lock(hashtextextended('steward.login.addr:' || \(sourceAddress), 0))
            """, logger: logger)
    }

    /// Failed attempts within `window` for the account and for the address.
    public func recentFailures(username: String, sourceAddress: String, window: Duration, on runner: some QueryRunner) async throws -> (account: Int, address: Int) {
        let seconds = Double(window.components.seconds)
        let rows = try await runner.run("""
            SELECT
              (SELECT count(*)::int FROM login_attempts WHERE username = lower(\(username)) AND NOT succeeded
                 AND attempted_at > now() - make_interval(secs => \(seconds))),
              (SELECT count(*)::int FROM login_attempts WHERE source_address = \(sourceAddress) AND NOT succeeded
                 AND attempted_at > now() - make_interval(secs => \(seconds)))
            """, logger: logger)
        let (account, address) = try rows.first?.decode((Int, Int).self) ?? (0, 0)
        return (account, address)
    }

    public func record(username: String, sourceAddress: String, succeeded: Bool, on runner: some QueryRunner) async throws {
        try await runner.run("""
            INSERT INTO login_attempts (username, source_address, succeeded) VALUES (lower(\(username)), \(sourceAddress), \(succeeded))
            """, logger: logger)
    }

    /// A successful login clears the account's failures, so that earlier typos do not count later.
    public func clearFailures(username: String, on runner: some QueryRunner) async throws {
        try await runner.run("DELETE FROM login_attempts WHERE username = lower(\(username)) AND NOT succeeded", logger: logger)
    }
}
