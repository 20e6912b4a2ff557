import NIOCore
import StewardDatabase
import StewardModel
import Synchronization

/// The node list, read from the database at most once per quarter second however many requests ask
/// (those that arrive while a read is under way wait for it): status views and scripts polling
/// `cluster/nodes` cost the database a constant trickle instead of a query each. A quarter second is
/// far below the heartbeat interval, so nothing is missed that a fresh read would have shown.
final class NodeStatusSnapshot: Sendable {
    private struct State {
        var statuses: [NodeStatus]?
        var readAt: ContinuousClock.Instant?
        var reading: (started: ContinuousClock.Instant, task: Task<[NodeStatus], any Error>)?
        /// The JSON of the last list answered, so that polling clients do not pay for encoding it each time.
        var encoded: (statuses: [NodeStatus], body: ByteBuffer)?
    }

    private let state = Mutex(State())
    let freshness: Duration

    init(freshness: Duration = .milliseconds(250)) { self.freshness = freshness }

    func statuses(_ read: @escaping @Sendable () async throws -> [NodeStatus]) async throws -> [NodeStatus] {
        let now = ContinuousClock.now
        enum Plan { case cached([NodeStatus]), wait(Task<[NodeStatus], any Error>, started: ContinuousClock.Instant) }
        let plan = state.withLock { state -> Plan in
            if let statuses = state.statuses, let readAt = state.readAt, now - readAt < freshness { return .cached(statuses) }
            if let reading = state.reading { return .wait(reading.task, started: reading.started) }
            let task = Task { try await read() }
            state.reading = (now, task)
            return .wait(task, started: now)
        }
        switch plan {
        case .cached(let statuses):
            return statuses
        case .wait(let task, let started):
            do {
                let result = try await task.value
                state.withLock { state in
                    // Kept with the time the read began: its answer is as old as that, never younger.
                    if state.readAt.map({ started > $0 }) ?? true {
                        state.statuses = result
                        state.readAt = started
                    }
                    if state.reading?.started == started { state.reading = nil }
                }
                return result
            } catch {
                // A failed read is not kept: the next request asks the database again.
                state.withLock { state in
                    if state.reading?.started == started { state.reading = nil }
                }
                throw error
            }
        }
    }

    /// The list as a response body: encoded once per distinct list, however many requests ask.
    func encodedStatuses(_ read: @escaping @Sendable () async throws -> [NodeStatus],
                         encode: ([NodeStatus]) throws -> ByteBuffer) async throws -> ByteBuffer {
        let statuses = try await self.statuses(read)
        if let body = state.withLock({ $0.encoded.flatMap { $0.statuses == statuses ? $0.body : nil } }) { return body }
        let body = try encode(statuses)
        state.withLock { $0.encoded = (statuses, body) }
        return body
    }

    /// After a change made here (drain, decommission): the next read goes to the database.
    func invalidate() { state.withLock { $0 = State() } }

    /// Forgets the cached list (the cache-clearing job); returns how many nodes it held.
    func clear() -> Int {
        state.withLock { state in
            defer { state = State() }
            return state.statuses?.count ?? 0
        }
    }
}
