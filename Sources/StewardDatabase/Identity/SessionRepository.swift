import Foundation
import Logging
import PostgresNIO
import StewardModel

/// Browser sessions, in the database so that every node honours them and a node failure logs
/// nobody out. Stored by the SHA-256 of the cookie value; expiry is decided on database time.
public struct SessionRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    public struct Created: Sendable {
        public let absoluteExpiresAt: Date
    }

    public func create(hash: [UInt8], userID: UserID, csrfToken: String, idle: Duration, absolute: Duration,
                       node: String, sourceAddress: String, on runner: some QueryRunner) async throws -> Created {
        let rows = try await runner.run("""
            INSERT INTO http_sessions (session_hash, user_id, csrf_token, idle_expires_at, absolute_expires_at, created_on_node, source_address)
            VALUES (\(Data(hash)), \(userID.uuid), \(csrfToken),
                    now() + make_interval(secs => \(Double(idle.components.seconds))),
                    now() + make_interval(secs => \(Double(absolute.components.seconds))), \(node), \(sourceAddress))
            RETURNING absolute_expires_at
            """, logger: logger)
        return Created(absoluteExpiresAt: try rows.first?.decode(Date.self) ?? Date())
    }

    /// The user and CSRF token of a live session, extending its idle expiry (never beyond the
    /// absolute expiry). The row is written at most every 30 s, or a quarter of the idle timeout
    /// if that is shorter, so reads stay reads. Expired sessions are deleted on the way.
    public func authenticate(hash: [UInt8], idle: Duration, on runner: some QueryRunner) async throws -> (UserRecord, csrfToken: String, endsAt: Date)? {
        let rows = try await runner.run("""
            WITH live AS (
                SELECT s.session_hash, s.user_id, s.csrf_token, s.absolute_expires_at FROM http_sessions s JOIN users u USING (user_id)
                WHERE s.session_hash = \(Data(hash)) AND s.idle_expires_at > now() AND s.absolute_expires_at > now() AND NOT u.disabled
            ), touched AS (
                UPDATE http_sessions
                SET last_seen_at = now(),
                    idle_expires_at = least(absolute_expires_at, now() + make_interval(secs => \(Double(idle.components.seconds))))
                WHERE session_hash IN (SELECT session_hash FROM live)
                  AND last_seen_at < now() - make_interval(secs => least(30, \(Double(idle.components.seconds)) / 4))
            ), expired AS (
                DELETE FROM http_sessions WHERE session_hash = \(Data(hash)) AND (idle_expires_at <= now() OR absolute_expires_at <= now())
            )
            SELECT u.user_id, u.username, u.role, u.password_hash, u.disabled, u.created_at, live.csrf_token, live.absolute_expires_at
            FROM live JOIN users u USING (user_id)
            """, logger: logger)
        guard let row = rows.first else { return nil }
        let decoded = try row.decode((UUID, String, String, String, Bool, Date, String, Date).self)
        return (try UserRepository.decode(row), decoded.6, decoded.7)
    }

    /// Ends a session everywhere; true when it existed.
    @discardableResult
    public func delete(hash: [UInt8], on runner: some QueryRunner) async throws -> Bool {
        !(try await runner.run("DELETE FROM http_sessions WHERE session_hash = \(Data(hash)) RETURNING 1", logger: logger).isEmpty)
    }

    /// Ends every session of a user (disabled, or password reset), but `except` (the one changing it).
    public func deleteAll(userID: UserID, except kept: [UInt8]? = nil, on runner: some QueryRunner) async throws {
        try await runner.run("""
            DELETE FROM http_sessions WHERE user_id = \(userID.uuid) AND (\(kept.map { Data($0) })::bytea IS NULL OR session_hash <> \(kept.map { Data($0) })::bytea)
            """, logger: logger)
    }
}
