import Foundation
import Logging
import PostgresNIO

/// Failed logins, counted across the cluster per minute in three scopes: one account from anywhere,
/// one account from one client (an address or a device cookie), and one address for any account.
/// An attempt is counted *before* its password is checked (and the count given back when it turns
/// out right): concurrent attempts on any number of nodes each see an exact, distinct count, with
/// no lock held while bcrypt runs.
public struct LoginFailureRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    /// Failures in the window in each scope, this attempt included.
    public struct Counts: Sendable, Equatable {
        public var account: Int
        public var client: Int
        public var address: Int
        public init(account: Int, client: Int, address: Int) {
            self.account = account
            self.client = client
            self.address = address
        }
    }

    /// The keys of one attempt.
    public struct Keys: Sendable {
        public let account: String
        public let client: String
        public let address: String
        public init(account: String, client: String, address: String) {
            self.account = account.lowercased()
            self.client = self.account + " " + client
            self.address = address
        }
    }

    /// Counts this attempt as a failure, and returns the window's counts. One statement, one round trip.
    public func reserve(_ keys: Keys, window: Duration, on runner: some QueryRunner) async throws -> Counts {
        let seconds = window.inSeconds
        let rows = try await runner.run("""
            WITH bumped AS (
                INSERT INTO login_failures (scope, key, minute, failures)
                VALUES ('account', \(keys.account), date_trunc('minute', now()), 1),
                       ('address', \(keys.address), date_trunc('minute', now()), 1),
                       ('client', \(keys.client), date_trunc('minute', now()), 1)
                ON CONFLICT (scope, key, minute) DO UPDATE SET failures = login_failures.failures + 1
                RETURNING scope, failures
            ), earlier AS (
                SELECT scope, sum(failures)::int AS failures FROM login_failures
                WHERE minute > now() - make_interval(secs => \(seconds)) AND minute < date_trunc('minute', now())
                  AND ((scope = 'account' AND key = \(keys.account)) OR (scope = 'client' AND key = \(keys.client))
                       OR (scope = 'address' AND key = \(keys.address)))
                GROUP BY scope
            )
            SELECT b.scope, b.failures + coalesce(e.failures, 0) FROM bumped b LEFT JOIN earlier e USING (scope)
            """, logger: logger)
        var counts = Counts(account: 0, client: 0, address: 0)
        for row in rows {
            let (scope, total) = try row.decode((String, Int).self)
            switch scope {
            case "account": counts.account = total
            case "client": counts.client = total
            default: counts.address = total
            }
        }
        return counts
    }

    /// The password was right: the client's failures for this account are forgotten, and the
    /// attempt's own count is given back to the account and the address.
    /// Run inside a transaction. Rows are locked in the order `reserve` locks them (account, address,
    /// client): a success during a flood of failures for the same account and address cannot deadlock
    /// with them (it did, once in a loaded run: the owner's login answered 500).
    public func succeeded(_ keys: Keys, on connection: PostgresConnection) async throws {
        try await connection.run("""
            SELECT 1 FROM login_failures
            WHERE minute = date_trunc('minute', now())
              AND ((scope = 'account' AND key = \(keys.account)) OR (scope = 'address' AND key = \(keys.address)))
            ORDER BY scope FOR UPDATE
            """, logger: logger)
        try await connection.run("""
            UPDATE login_failures SET failures = greatest(failures - 1, 0)
            WHERE minute = date_trunc('minute', now())
              AND ((scope = 'account' AND key = \(keys.account)) OR (scope = 'address' AND key = \(keys.address)))
            """, logger: logger)
        try await connection.run("DELETE FROM login_failures WHERE scope = 'client' AND key = \(keys.client)", logger: logger)
    }

    /// Deletes counters older than `retention`; returns how many rows went.
    @discardableResult
    public func purge(olderThan retention: Duration, on runner: some QueryRunner) async throws -> Int {
        try await runner.run("""
            DELETE FROM login_failures WHERE minute < now() - make_interval(secs => \(retention.inSeconds)) RETURNING 1
            """, logger: logger).count
    }
}
