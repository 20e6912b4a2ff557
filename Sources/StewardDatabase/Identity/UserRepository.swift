import Foundation
import Logging
import PostgresNIO
import StewardModel

/// A user row, password hash included: for the server's use only, never sent to clients.
public struct UserRecord: Sendable, Equatable {
    public init(userID: UserID, username: String, role: Role, passwordHash: String, disabled: Bool, createdAt: Date) {
        self.userID = userID
        self.username = username
        self.role = role
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.createdAt = createdAt
    }

    public let userID: UserID
    public let username: String
    public let role: Role
    public let passwordHash: String
    public let disabled: Bool
    public let createdAt: Date

    public var info: UserInfo { UserInfo(username: username, role: role, disabled: disabled, createdAt: createdAt) }
}

public struct UserRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    static func decode(_ row: PostgresRow) throws -> UserRecord {
        let (id, name, role, hash, disabled, created) = try row.decode((UUID, String, String, String, Bool, Date).self)
        return UserRecord(userID: UserID(id), username: name, role: Role(rawValue: role) ?? .viewer,
                          passwordHash: hash, disabled: disabled, createdAt: created)
    }

    /// Case-insensitive: "Admin" and "admin" are one account.
    public func find(username: String, on runner: some QueryRunner) async throws -> UserRecord? {
        try await runner.run("""
            SELECT user_id, username, role, password_hash, disabled, created_at FROM users WHERE lower(username) = lower(\(username))
            """, logger: logger).first.map(Self.decode)
    }

    public func find(id: UserID, on runner: some QueryRunner) async throws -> UserRecord? {
        try await runner.run("""
            SELECT user_id, username, role, password_hash, disabled, created_at FROM users WHERE user_id = \(id.uuid)
            """, logger: logger).first.map(Self.decode)
    }

    public func list(on runner: some QueryRunner) async throws -> [UserRecord] {
        try await runner.run("""
            SELECT user_id, username, role, password_hash, disabled, created_at FROM users ORDER BY lower(username)
            """, logger: logger).map(Self.decode)
    }

    public func count(on runner: some QueryRunner) async throws -> Int {
        try await runner.run("SELECT count(*)::int FROM users", logger: logger).first?.decode(Int.self) ?? 0
    }

    /// Inserts a user; nil when the name is taken (case-insensitively).
    public func create(username: String, role: Role, passwordHash: String, on runner: some QueryRunner) async throws -> UserRecord? {
        try await runner.run("""
            INSERT INTO users (user_id, username, role, password_hash) VALUES (\(UUID()), \(username), \(role.rawValue), \(passwordHash))
            ON CONFLICT DO NOTHING
            RETURNING user_id, username, role, password_hash, disabled, created_at
            """, logger: logger).first.map(Self.decode)
    }

    public func update(_ id: UserID, role: Role?, disabled: Bool?, on runner: some QueryRunner) async throws -> UserRecord? {
        try await runner.run("""
            UPDATE users SET role = coalesce(\(role?.rawValue), role), disabled = coalesce(\(disabled), disabled), updated_at = now()
            WHERE user_id = \(id.uuid)
            RETURNING user_id, username, role, password_hash, disabled, created_at
            """, logger: logger).first.map(Self.decode)
    }

    /// Enables a user and records `event` (its target the user) in one statement. Run it inside a
    /// transaction: the seat is taken at COMMIT, and only a COMMIT of its own reports the refusal.
    public func enable(username: String, recording event: AuditRepository.Event, on runner: some QueryRunner) async throws -> UserRecord? {
        let details = String(decoding: try JSONEncoder().encode(event.details), as: UTF8.self)
        return try await runner.run("""
            WITH enabled AS (
                UPDATE users SET disabled = false, updated_at = now() WHERE lower(username) = lower(\(username))
                RETURNING user_id, username, role, password_hash, disabled, created_at),
            audited AS (
                INSERT INTO audit_log (actor, action, target, node_name, source_address, details)
                SELECT \(event.actor), \(event.action), username, \(event.node), \(event.sourceAddress), \(details)::jsonb FROM enabled)
            SELECT user_id, username, role, password_hash, disabled, created_at FROM enabled
            """, logger: logger).first.map(Self.decode)
    }

    public func setPassword(_ id: UserID, passwordHash: String, on runner: some QueryRunner) async throws {
        try await runner.run("""
            UPDATE users SET password_hash = \(passwordHash), password_changed_at = now(), updated_at = now() WHERE user_id = \(id.uuid)
            """, logger: logger)
    }

    /// Admins who can still log in: the last one may not be demoted or disabled.
    public func activeAdminCount(on runner: some QueryRunner) async throws -> Int {
        try await runner.run("SELECT count(*)::int FROM users WHERE role = 'admin' AND NOT disabled", logger: logger)
            .first?.decode(Int.self) ?? 0
    }
}
