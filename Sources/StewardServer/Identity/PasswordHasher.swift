import HummingbirdBcrypt
import NIOPosix

/// bcrypt, run on NIO's blocking thread pool: a hash takes a quarter of a second by design and
/// must not hold up the threads that serve requests.
struct PasswordHasher: Sendable {
    let cost: Int

    /// A hash of a random string, verified against when the user does not exist, so that
    /// an unknown name costs the same time as a wrong password.
    let decoy: String

    init(cost: Int) {
        self.cost = cost
        decoy = Bcrypt.hash(SecretTokens.random(), cost: UInt8(cost))
    }

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String?) async throws -> Bool {
        let target = hash ?? decoy
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return matches && hash != nil
    }
}
