import Foundation
import StewardDatabase
import StewardModel
@testable import StewardServer
import Testing

@Suite("Credential cache: short-lived, forgets on revocation, keeps nothing while deaf to NOTIFY")
struct AuthCacheTests {
    let alice = UserRecord(userID: UserID(UUID()), username: "alice", role: .operator, passwordHash: "x", disabled: false, createdAt: Date())
    let bob = UserRecord(userID: UserID(UUID()), username: "bob", role: .viewer, passwordHash: "x", disabled: false, createdAt: Date())

    func listening() -> AuthCache {
        let cache = AuthCache(lifetime: .seconds(60))
        cache.listening(true)
        return cache
    }

    func identity(_ user: UserRecord) -> Identity { Identity(user: user, credential: .token(TokenID(UUID()))) }

    @Test("a stored credential is found again, until its own end")
    func hitsAndEnds() {
        let cache = listening()
        let hash = Array(repeating: UInt8(1), count: 32)
        cache.store(identity(alice), for: hash, endsAt: Date().addingTimeInterval(60), lookedUpAt: cache.generation)
        #expect(cache.identity(for: hash)?.username == "alice")
        let ended = Array(repeating: UInt8(2), count: 32)
        cache.store(identity(alice), for: ended, endsAt: Date().addingTimeInterval(-1), lookedUpAt: cache.generation)
        #expect(cache.identity(for: ended) == nil, "a credential past its expiry is never served from the cache")
        #expect(cache.identity(for: hash, maxAge: .zero) == nil, "a caller may ask for fresher")
    }

    @Test("a revocation forgets the token, or every credential of the user, and what was looked up before it is not stored")
    func revocations() {
        let cache = listening()
        let (a1, a2, b1) = (Array(repeating: UInt8(1), count: 32), Array(repeating: UInt8(2), count: 32), Array(repeating: UInt8(3), count: 32))
        for (hash, user) in [(a1, alice), (a2, alice), (b1, bob)] {
            cache.store(identity(user), for: hash, endsAt: nil, lookedUpAt: cache.generation)
        }
        cache.heard(AuthRevocation.token(hash: a1).payload)
        #expect(cache.identity(for: a1) == nil)
        #expect(cache.identity(for: a2) != nil)
        cache.heard(AuthRevocation.user(alice.userID).payload)
        #expect(cache.identity(for: a2) == nil)
        #expect(cache.identity(for: b1)?.username == "bob")
        let before = cache.generation
        cache.revoked(.user(bob.userID))
        cache.store(identity(bob), for: b1, endsAt: nil, lookedUpAt: before)
        #expect(cache.identity(for: b1) == nil, "an answer read before the revocation is dropped")
    }

    @Test("while LISTEN is down nothing is cached, and what was cached is forgotten")
    func deaf() {
        let cache = listening()
        let hash = Array(repeating: UInt8(9), count: 32)
        cache.store(identity(alice), for: hash, endsAt: nil, lookedUpAt: cache.generation)
        cache.listening(false)
        #expect(cache.identity(for: hash) == nil)
        cache.store(identity(alice), for: hash, endsAt: nil, lookedUpAt: cache.generation)
        #expect(cache.count == 0)
    }

    @Test("revocation payloads read back as what was sent, and garbage is ignored")
    func payloads() {
        let hash = (0..<32).map { UInt8($0) }
        for revocation in [AuthRevocation.token(hash: hash), .session(hash: hash), .user(alice.userID)] {
            #expect(AuthRevocation(payload: revocation.payload) == revocation)
        }
        #expect(AuthRevocation(payload: "token:zz") == nil)
        #expect(AuthRevocation(payload: "nonsense") == nil)
    }
}
