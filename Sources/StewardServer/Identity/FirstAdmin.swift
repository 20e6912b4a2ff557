import Foundation
import Logging
import PostgresNIO
import StewardAppData
import StewardDatabase
import StewardModel

/// The first admin account, made when a cluster has no users (a new cluster, or one upgraded
/// from before accounts existed). Its password is `STEWARD_ADMIN_PASSWORD` when set; otherwise a
/// generated one, written once to a 0600 file in appdata whose path is logged (never the password).
struct FirstAdmin: Sendable {
    static let username = "admin"
    static let environmentKey = "STEWARD_ADMIN_PASSWORD"

    let hasher: PasswordHasher
    let layout: AppDataLayout
    let password: String?
    let logger: Logger

    var passwordFile: String { layout.path("conf/initial-admin.password") }

    /// Reads and checks `STEWARD_ADMIN_PASSWORD` before anything starts.
    static func environmentPassword(minimumLength: Int) throws -> String? {
        guard let password = ProcessInfo.processInfo.environment[environmentKey], !password.isEmpty else { return nil }
        guard password.count >= minimumLength, password.utf8.count <= 72 else {
            throw DatabaseError(.query, "\(environmentKey) must have \(minimumLength) to 72 characters (security.password.min.length)")
        }
        return password
    }

    /// Creates the admin if there are no users, inside the caller's transaction.
    func createIfNeeded(node: String, on connection: PostgresConnection) async throws {
        let users = UserRepository(logger: logger)
        guard try await users.count(on: connection) == 0 else { return }
        let chosen = password ?? SecretTokens.random()
        let hash = try await hasher.hash(chosen)
        guard try await users.create(username: Self.username, role: .admin, passwordHash: hash, on: connection) != nil else { return }
        try await AuditRepository(logger: logger).record(
            .init(actor: "system", action: "user.create", target: Self.username, node: node, sourceAddress: nil, details: ["role": "admin"]),
            on: connection)
        if password == nil {
            // Written inside the transaction: if the file cannot be written, no admin is created.
            let file = passwordFile
            try await BlockingIO.run { try AtomicFile.write(chosen + "\n", to: file, permissions: 0o600) }
            logger.notice("created the first admin account '\(Self.username)'; its password is in \(passwordFile) (mode 0600): log in, change it, then delete the file")
        } else {
            logger.notice("created the first admin account '\(Self.username)' with the password from \(Self.environmentKey)")
        }
    }
}
