import Foundation
import StewardDatabase
import StewardModel
import Synchronization

/// Recently checked credentials, so that an API request costs no database round trip for them.
/// Entries live a few seconds at most (and never past the credential's own expiry); revocations
/// reach every node's cache the moment they commit, through NOTIFY (see `AuthRevocation`). While the
/// LISTEN connection is down a revocation could be missed, so nothing is cached until it is back.
final class AuthCache: Sendable {
    struct Entry: Sendable {
        let identity: Identity
        let storedAt: ContinuousClock.Instant
        /// The credential's own end (a token's expiry, a session's absolute limit).
        let endsAt: Date?
    }

    private struct State {
        var entries: [Data: Entry] = [:]
        var listening = false
        /// Moves on with every revocation: a lookup that began before one must not be stored after it.
        var generation: UInt64 = 0
        /// Revocations heard through NOTIFY (not this node's own, applied directly).
        var heard: UInt64 = 0
    }

    private let state = Mutex(State())
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration = .seconds(10), capacity: Int = 20_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached identity for a credential hash, while it is fresh (`maxAge` may shorten the lifetime).
    func identity(for hash: [UInt8], maxAge: Duration? = nil) -> Identity? {
        let now = ContinuousClock.now, wall = Date()
        let limit = min(lifetime, maxAge ?? lifetime)
        return state.withLock { state -> Identity? in
            guard let entry = state.entries[Data(hash)] else { return nil }
            guard now - entry.storedAt < limit, entry.endsAt.map({ $0 > wall }) ?? true else {
                state.entries[Data(hash)] = nil
                return nil
            }
            return entry.identity
        }
    }

    /// Take it before asking the database; `store` drops the answer if a revocation came in between.
    var generation: UInt64 { state.withLock { $0.generation } }

    func store(_ identity: Identity, for hash: [UInt8], endsAt: Date?, lookedUpAt generation: UInt64) {
        state.withLock { state in
            guard state.listening, state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[Data(hash)] = Entry(identity: identity, storedAt: .now, endsAt: endsAt)
        }
    }

    /// Forgets what a revocation names (also called for this node's own changes, without waiting for NOTIFY).
    func revoked(_ revocation: AuthRevocation) {
        state.withLock { state in
            state.generation &+= 1
            switch revocation {
            case .token(let hash), .session(let hash):
                state.entries[Data(hash)] = nil
            case .user(let id):
                state.entries = state.entries.filter { $0.value.identity.user.userID != id }
            }
        }
    }

    func heard(_ payload: String) {
        guard let revocation = AuthRevocation(payload: payload) else { return }
        revoked(revocation)
        state.withLock { $0.heard &+= 1 }
    }

    var heardCount: UInt64 { state.withLock { $0.heard } }

    /// After a revocation committed here: waits (at most `limit`) until this node has heard one
    /// through NOTIFY since `count`. The same commit signals every node's listener at once, so when
    /// the answer goes back, the other nodes' caches have had the revocation too, and the client's
    /// next request anywhere is refused.
    func waitUntilHeard(after count: UInt64, limit: Duration = .seconds(1)) async {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let (heard, listening) = state.withLock { ($0.heard, $0.listening) }
            if heard != count || !listening { return }
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// LISTEN is up (caching allowed) or down (everything forgotten, nothing kept until it is back).
    func listening(_ up: Bool) {
        state.withLock { state in
            state.listening = up
            state.generation &+= 1
            if !up { state.entries.removeAll() }
        }
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// Forgets everything (the cache-clearing job); returns how many entries there were.
    func clear() -> Int {
        state.withLock { state in
            defer { state.entries.removeAll(); state.generation &+= 1 }
            return state.entries.count
        }
    }
}
