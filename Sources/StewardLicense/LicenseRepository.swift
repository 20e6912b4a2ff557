import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// A license key as stored: what it grants, who issued it, who added it.
public struct StoredLicense: Sendable, Equatable {
    public let license: License
    public let issuer: String
    public let addedAt: Date
    public let addedBy: String

    public init(license: License, issuer: String, addedAt: Date, addedBy: String) {
        self.license = license
        self.issuer = issuer
        self.addedAt = addedAt
        self.addedBy = addedBy
    }

    public func info(at now: Date = Date()) -> LicenseInfo {
        let standing = LicenseStanding(license, at: now)
        return LicenseInfo(id: license.id, licensee: license.licensee, userSeats: license.userSeats, agentSeats: license.agentSeats,
                           notBefore: license.notBefore, expiresAt: license.expiresAt, graceDays: license.graceDays,
                           graceEndsAt: license.graceEndsAt, standing: standing.name, grantsSeats: standing.grantsSeats,
                           warning: standing.warning(for: license, at: now), issuer: issuer, addedAt: addedAt, addedBy: addedBy)
    }
}

/// The `licenses`, `license_seats` and `license_usage` tables. Seats themselves are taken and
/// freed by triggers on the rows that hold them (see migration 8), never here.
public struct LicenseRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    /// Stores a verified license; false when one with its id is stored already.
    public func add(_ license: License, document: String, issuer: String, by actor: String, on runner: some QueryRunner) async throws -> Bool {
        try await !runner.run("""
            INSERT INTO licenses (license_id, licensee, user_seats, agent_seats, not_before, expires_at, grace_days, issuer, document, added_by)
            VALUES (\(license.id), \(license.licensee), \(license.userSeats), \(license.agentSeats), \(license.notBefore),
                    \(license.expiresAt), \(license.graceDays), \(issuer), \(document), \(actor))
            ON CONFLICT (license_id) DO NOTHING RETURNING 1
            """, logger: logger).isEmpty
    }

    static let columns = "license_id, licensee, user_seats, agent_seats, not_before, expires_at, grace_days, issuer, added_at, added_by"

    static func decode(_ row: PostgresRow) throws -> StoredLicense {
        let (id, licensee, users, agents, notBefore, expires, grace, issuer, addedAt, addedBy) =
            try row.decode((String, String, Int, Int, Date, Date, Int, String, Date, String).self)
        let license = License(id: id, licensee: licensee, userSeats: users, agentSeats: agents, notBefore: notBefore,
                              expiresAt: expires, graceDays: grace)
        return StoredLicense(license: license, issuer: issuer, addedAt: addedAt, addedBy: addedBy)
    }

    public func list(on runner: some QueryRunner) async throws -> [StoredLicense] {
        try await runner.run("""
            SELECT \(unescaped: Self.columns) FROM licenses ORDER BY expires_at, license_id
            """, logger: logger).map(Self.decode)
    }

    /// Deletes a license; nil when there is none with that id.
    public func remove(_ id: String, on runner: some QueryRunner) async throws -> StoredLicense? {
        try await runner.run("""
            DELETE FROM licenses WHERE license_id = \(id)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger).first.map(Self.decode)
    }

    /// Seats per kind, users first: in use, and licensed now (by the database's own rule).
    public func seats(on runner: some QueryRunner) async throws -> [SeatCount] {
        try await runner.run("""
            SELECT kind, in_use, steward_licensed_seats(kind), NOT EXISTS (SELECT 1 FROM licenses)
            FROM license_seats ORDER BY kind DESC
            """, logger: logger).map { row in
            let (kind, inUse, licensed, trial) = try row.decode((String, Int, Int, Bool).self)
            return SeatCount(kind: kind, inUse: inUse, licensed: licensed, trial: trial)
        }
    }

    /// Records this hour's usage (merged with a record already made this hour) and starts the
    /// next high-water mark from the seats in use now: one statement, so the seat rows stay locked
    /// from the read to the reset and no grant's peak falls between them.
    public func recordUsage(on runner: some QueryRunner) async throws -> [LicenseUsageHour] {
        try await runner.run("""
            WITH seats AS (SELECT kind, in_use, peak FROM license_seats FOR UPDATE),
            recorded AS (
                INSERT INTO license_usage (hour, kind, in_use, peak, licensed)
                SELECT date_trunc('hour', now()), kind, in_use, peak, steward_licensed_seats(kind) FROM seats
                ON CONFLICT (hour, kind) DO UPDATE
                    SET in_use = EXCLUDED.in_use, peak = greatest(license_usage.peak, EXCLUDED.peak), licensed = EXCLUDED.licensed
                RETURNING hour, kind, in_use, peak, licensed),
            reset AS (UPDATE license_seats SET peak = seats.in_use FROM seats WHERE license_seats.kind = seats.kind)
            SELECT hour, kind, in_use, peak, licensed FROM recorded ORDER BY kind DESC
            """, logger: logger).map(Self.decodeUsage)
    }

    /// Usage records are kept a year and a day (the API shows 90 days; the rest is for audits).
    public func purgeUsage(on runner: some QueryRunner) async throws -> Int {
        try await runner.run("DELETE FROM license_usage WHERE hour < now() - interval '366 days' RETURNING 1", logger: logger).count
    }

    static func decodeUsage(_ row: PostgresRow) throws -> LicenseUsageHour {
        let (hour, kind, inUse, peak, licensed) = try row.decode((Date, String, Int, Int, Int).self)
        return LicenseUsageHour(hour: hour, kind: kind, inUse: inUse, peak: peak, licensed: licensed)
    }

    /// The recorded hours of the last `days` days, oldest first, then the hour under way as it stands.
    public func usage(days: Int, on runner: some QueryRunner) async throws -> [LicenseUsageHour] {
        try await runner.run("""
            SELECT hour, kind, in_use, peak, licensed FROM (
                SELECT hour, kind, in_use, peak, licensed FROM license_usage
                WHERE hour > now() - make_interval(days => \(days)::integer) AND hour < date_trunc('hour', now())
                UNION ALL
                SELECT date_trunc('hour', now()), s.kind, s.in_use, greatest(s.peak, coalesce(u.peak, 0)), steward_licensed_seats(s.kind)
                FROM license_seats s LEFT JOIN license_usage u ON u.hour = date_trunc('hour', now()) AND u.kind = s.kind
            ) hours ORDER BY hour, kind DESC
            """, logger: logger).map(Self.decodeUsage)
    }
}

/// A grant refused because every licensed seat is taken: raised by the database (SQLSTATE SL001)
/// in the transaction that would have taken the seat, which therefore changes nothing.
public struct SeatRefusal: Error, CustomStringConvertible {
    public static let sqlState = "SL001"
    public let message: String
    public var description: String { message }

    /// The refusal inside `error`, if that is what it is.
    public init?(_ error: any Error) {
        guard let psql = error as? PSQLError, let server = psql.serverInfo, server[.sqlState] == Self.sqlState else { return nil }
        let message = server[.message] ?? "no seat is free"
        self.message = server[.hint].map { "\(message); \($0)" } ?? message
    }
}
