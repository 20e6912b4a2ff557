import Foundation
import Logging
import PostgresNIO
import StewardModel

/// API tokens, stored as SHA-256 hashes: a token is 256 random bits, so a fast hash is enough
/// and a stolen table gives no usable token.
public struct TokenRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    static func decode(_ row: PostgresRow) throws -> TokenInfo {
        let (id, name, owner, prefix, created, expires, used, revoked) = try row.decode(
            (UUID, String, String, String, Date, Date?, Date?, Date?).self)
        return TokenInfo(id: TokenID(id), name: name, owner: owner, prefix: prefix, createdAt: created,
                         expiresAt: expires, lastUsedAt: used, revokedAt: revoked)
    }

    public func create(userID: UserID, name: String, prefix: String, hash: [UInt8], expiresInDays: Int?, on runner: some QueryRunner) async throws -> TokenInfo {
        let rows = try await runner.run("""
            WITH inserted AS (
                INSERT INTO api_tokens (token_id, user_id, name, prefix, token_hash, expires_at)
                VALUES (\(UUID()), \(userID.uuid), \(name), \(prefix), \(Data(hash)),
                        CASE WHEN \(expiresInDays)::int IS NULL THEN NULL ELSE now() + make_interval(days => \(expiresInDays)::int) END)
                RETURNING *
            )
            SELECT t.token_id, t.name, u.username, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
            FROM inserted t JOIN users u USING (user_id)
            """, logger: logger)
        guard let row = rows.first else { throw DatabaseError(.query, "the new token was not stored") }
        return try Self.decode(row)
    }

    /// Tokens of one user, or of everyone when `userID` is nil.
    public func list(userID: UserID?, on runner: some QueryRunner) async throws -> [TokenInfo] {
        try await runner.run("""
            SELECT t.token_id, t.name, u.username, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
            FROM api_tokens t JOIN users u USING (user_id)
            WHERE \(userID?.uuid)::uuid IS NULL OR t.user_id = \(userID?.uuid)::uuid
            ORDER BY t.created_at
            """, logger: logger).map(Self.decode)
    }

    public func find(_ id: TokenID, on runner: some QueryRunner) async throws -> (TokenInfo, UserID)? {
        let rows = try await runner.run("""
            SELECT t.token_id, t.name, u.username, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at, t.user_id
            FROM api_tokens t JOIN users u USING (user_id) WHERE t.token_id = \(id.uuid)
            """, logger: logger)
        guard let row = rows.first else { return nil }
        let owner = try row.decode((UUID, String, String, String, Date, Date?, Date?, Date?, UUID).self).8
        return (try Self.decode(row), UserID(owner))
    }

    /// Revokes every live token of a user (an admin reset their password); returns how many.
    @discardableResult
    public func revokeAll(userID: UserID, on runner: some QueryRunner) async throws -> Int {
        try await runner.run("""
            UPDATE api_tokens SET revoked_at = now() WHERE user_id = \(userID.uuid) AND revoked_at IS NULL RETURNING token_id
            """, logger: logger).count
    }

    /// Revokes a token; returns its hash (for the caches to forget), nil when it was already revoked or does not exist.
    public func revoke(_ id: TokenID, on runner: some QueryRunner) async throws -> [UInt8]? {
        try await runner.run("""
            UPDATE api_tokens SET revoked_at = now() WHERE token_id = \(id.uuid) AND revoked_at IS NULL RETURNING token_hash
            """, logger: logger).first.map { Array(try $0.decode(Data.self)) }
    }

    /// The user a live token belongs to (not revoked, not expired, not older than `maxLifetime`,
    /// user not disabled), on database time, and when it ends. Records the use at most once a minute,
    /// so reads stay reads.
    public func authenticate(hash: [UInt8], maxLifetime: Duration, on runner: some QueryRunner) async throws -> (UserRecord, TokenID, endsAt: Date)? {
        let rows = try await runner.run("""
            WITH live AS (
                SELECT t.token_id, t.user_id,
                       least(coalesce(t.expires_at, 'infinity'), t.created_at + make_interval(secs => \(maxLifetime.inSeconds))) AS ends_at
                FROM api_tokens t JOIN users u USING (user_id)
                WHERE t.token_hash = \(Data(hash)) AND t.revoked_at IS NULL
                  AND (t.expires_at IS NULL OR t.expires_at > now()) AND NOT u.disabled
                  AND t.created_at > now() - make_interval(secs => \(maxLifetime.inSeconds))
            ), touched AS (
                UPDATE api_tokens SET last_used_at = now()
                WHERE token_id IN (SELECT token_id FROM live)
                  AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
            )
            SELECT u.user_id, u.username, u.role, u.password_hash, u.disabled, u.created_at, live.token_id, live.ends_at
            FROM live JOIN users u USING (user_id)
            """, logger: logger)
        guard let row = rows.first else { return nil }
        let decoded = try row.decode((UUID, String, String, String, Bool, Date, UUID, Date).self)
        return (try UserRepository.decode(row), TokenID(decoded.6), decoded.7)
    }
}
