import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// Checks a user name and password with cluster-wide throttling (see `LoginThrottle`), in three
/// short steps and with nothing held in between: count the attempt and decide (one statement), check
/// the password (bcrypt, on the hashing pool, no connection or lock held), and on success record it
/// in the caller's transaction. Known and unknown names get the same answers, the same counting and
/// the same bcrypt work. A flood is audited once per client and event, not once per attempt.
struct LoginService: Sendable {
    let runtime: NodeRuntime
    let hasher: PasswordHasher
    let devices: DeviceCookies

    enum Outcome: Sendable {
        /// With the device token the client should keep (the one it sent, or a new one).
        case success(UserRecord, device: String)
        case invalid
        case throttled(retryAfterSeconds: Int)
    }

    /// `action` names the success in the audit log ("login", or "user.password" for a password change).
    func login(username: String, password: String, source: String, device: String?, action: String = "login",
               onSuccess: @escaping @Sendable (UserRecord, PostgresConnection) async throws -> Void) async throws -> Outcome {
        let settings = runtime.cluster
        let deviceID = device.flatMap { devices.verify($0, for: username) }
        let address = ClientAddress.throttleKey(source)
        let keys = LoginFailureRepository.Keys(account: username, client: deviceID.map { "device:\($0)" } ?? "address:\(address)",
                                               address: address)
        let failures = LoginFailureRepository(logger: runtime.logger)
        let audit = AuditTrail(runtime: runtime)
        let counts = try await failures.reserve(keys, window: settings.loginFailureWindow, on: runtime.database)
        switch LoginThrottle.decide(counts, knownDevice: deviceID != nil, settings: settings) {
        case .refuse(let retryAfter, let reason):
            if counts.client == settings.loginMaxFailures + 1 || counts.address == settings.loginMaxFailuresPerAddress + 1 {
                try await audit.record(actor: username, action: "login.locked", target: username, source: source,
                                       details: ["reason": reason, "failures": String(max(counts.client, counts.address) - 1)],
                                       on: runtime.database)
            }
            return .throttled(retryAfterSeconds: retryAfter)
        case .proceed(let delay) where delay > .zero:
            if counts.account == settings.loginAccountSlowdownAfter + 1 {
                try await audit.record(actor: username, action: "login.slowed", target: username, source: source,
                                       details: ["failures": String(counts.account - 1)], on: runtime.database)
            }
            try await Task.sleep(for: delay)
        case .proceed:
            break
        }
        let user = try await UserRepository(logger: runtime.logger).find(username: username, on: runtime.database)
        let matches = try await hasher.verify(password, against: user?.passwordHash, urgent: deviceID != nil)
        guard let user, matches, !user.disabled else {
            if counts.client == 1 {
                try await audit.record(actor: username, action: "login.failed", source: source,
                                       details: deviceID == nil ? [:] : ["device": "known"], on: runtime.database)
            }
            return .invalid
        }
        try await runtime.transaction { connection in
            try await failures.succeeded(keys, on: connection)
            try await audit.record(actor: user.username, action: action, target: action == "login" ? nil : user.username,
                                   source: source, on: connection)
            try await onSuccess(user, connection)
        }
        let kept = deviceID != nil ? device : nil
        return .success(user, device: kept ?? devices.issue(for: user.username))
    }
}
