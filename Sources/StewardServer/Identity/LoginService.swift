import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// Checks a user name and password with cluster-wide throttling. Attempts for one account (and
/// one address) are serialized by advisory locks, so the count of failures is exact however many
/// nodes are attacked at once. Known and unknown names get the same answers, the same counting
/// and the same bcrypt work.
struct LoginService: Sendable {
    let runtime: NodeRuntime
    let hasher: PasswordHasher

    enum Outcome: Sendable {
        case success(UserRecord)
        case invalid
        case throttled(retryAfterSeconds: Int)
    }

    /// Runs `body` on the same connection, inside the login's transaction (sessions, tokens).
    func login(username: String, password: String, source: String,
               onSuccess: @escaping @Sendable (UserRecord, PostgresConnection) async throws -> Void) async throws -> Outcome {
        let security = runtime.cluster
        let attempts = LoginAttemptRepository(logger: runtime.logger)
        let audit = AuditTrail(runtime: runtime)
        let hasher = self.hasher
        return try await runtime.transaction { connection in
            try await attempts.lock(username: username, sourceAddress: source, on: connection)
            let failures = try await attempts.recentFailures(username: username, sourceAddress: source, window: security.loginFailureWindow, on: connection)
            if failures.account >= security.loginMaxFailures || failures.address >= security.loginMaxFailuresPerAddress {
                try await audit.record(actor: username, action: "login.refused", source: source,
                                       details: ["reason": failures.account >= security.loginMaxFailures ? "account locked" : "address locked"], on: connection)
                return .throttled(retryAfterSeconds: Int(security.loginFailureWindow.components.seconds))
            }
            let user = try await UserRepository(logger: runtime.logger).find(username: username, on: connection)
            let matches = try await hasher.verify(password, against: user?.passwordHash)
            guard let user, matches, !user.disabled else {
                try await attempts.record(username: username, sourceAddress: source, succeeded: false, on: connection)
                try await audit.record(actor: username, action: "login.failed", source: source, on: connection)
                if failures.account + 1 == security.loginMaxFailures {
                    try await audit.record(actor: username, action: "login.locked", target: username, source: source,
                                           details: ["failures": "\(security.loginMaxFailures)"], on: connection)
                }
                return .invalid
            }
            try await attempts.record(username: username, sourceAddress: source, succeeded: true, on: connection)
            try await attempts.clearFailures(username: username, on: connection)
            try await audit.record(actor: user.username, action: "login", source: source, on: connection)
            try await onSuccess(user, connection)
            return .success(user)
        }
    }
}
