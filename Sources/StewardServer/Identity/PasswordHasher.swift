import Foundation
import HummingbirdBcrypt
import NIOPosix
import StewardModel

/// bcrypt, run on NIO's blocking thread pool: a hash takes a quarter of a second by design and
/// must not hold up the threads that serve requests. At most one hash per core runs at once, and a
/// request waits at most a few seconds for its turn before it is answered 503: a flood of logins
/// costs the node its bcrypt budget, never its threads, its database connections or its heartbeat.
struct PasswordHasher: Sendable {
    let cost: Int
    let gate = PermitGate(permits: max(1, ProcessInfo.processInfo.activeProcessorCount))
    static let turnWait: Duration = .seconds(5)

    /// A hash of a random string, verified against when the user does not exist, so that
    /// an unknown name costs the same time as a wrong password.
    let decoy: String

    init(cost: Int) {
        self.cost = cost
        decoy = Bcrypt.hash(SecretTokens.random(), cost: UInt8(cost))
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await taking { Bcrypt.hash(password, cost: cost) }
    }

    /// `urgent`: a device that has logged in before goes ahead of the queue, so a flood of guesses
    /// from elsewhere cannot keep its owner waiting for bcrypt.
    func verify(_ password: String, against hash: String?, urgent: Bool = false) async throws -> Bool {
        let target = hash ?? decoy
        let matches = try await taking(urgent: urgent) { Bcrypt.verify(password, hash: target) }
        return matches && hash != nil
    }

    func taking<T: Sendable>(urgent: Bool = false, _ work: @escaping @Sendable () -> T) async throws -> T {
        try await gate.acquire(timeout: Self.turnWait, urgent: urgent, timedOut: APIError(
            status: .serviceUnavailable, message: "this node is busy checking passwords; try again in a moment", headers: [.retryAfter: "2"]))
        defer { gate.release() }
        return try await NIOThreadPool.singleton.runIfActive(work)
    }
}
