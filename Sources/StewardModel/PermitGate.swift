import DequeModule
import Synchronization

/// A counting semaphore whose waiters give up after a deadline, first come first served.
/// postgres-nio's pool has no queue timeout: a request for a connection waits as long as it takes.
/// In front of the pool, this turns "every connection is busy" into a prompt, explicit refusal
/// (the caller answers 503 with Retry-After) instead of a pile of requests that never return.
/// Urgent waiters (say, a login from a device that has logged in before) are served before the others.
/// Written by hand: none of the listed packages has an async semaphore with a timeout.
/// Every step is O(1): a reconnect storm queues thousands of waiters here (the agent channel's
/// share of the pool). A waiter that gives up leaves its id in the queue, skipped when reached.
public final class PermitGate: Sendable {
    private struct State {
        var available: Int
        var waiting: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var order = Deque<UInt64>()
        var urgentOrder = Deque<UInt64>()
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>
    public let capacity: Int

    public init(permits: Int) {
        capacity = permits
        state = Mutex(State(available: permits))
    }

    /// Waits for a permit at most `timeout`; throws `timedOut` after it, or `CancellationError`.
    public func acquire(timeout: Duration, urgent: Bool = false, timedOut: @autoclosure @escaping @Sendable () -> any Error) async throws {
        let id: UInt64? = state.withLock { state in
            if state.available > 0, state.waiting.isEmpty {
                state.available -= 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiting[id] = continuation
                    if urgent { state.urgentOrder.append(id) } else { state.order.append(id) }
                    return false
                }
                if cancelled { return continuation.resume(throwing: CancellationError()) }
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    self?.giveUp(id, with: timedOut())
                }
            }
        } onCancel: {
            giveUp(id, with: CancellationError())
        }
    }

    func giveUp(_ id: UInt64, with error: any Error) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard let continuation = state.waiting.removeValue(forKey: id) else { return nil }
            if state.waiting.isEmpty {
                state.order.removeAll()
                state.urgentOrder.removeAll()
            }
            return continuation
        }
        continuation?.resume(throwing: error)
    }

    /// Returns a permit: to the longest waiter, if any.
    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            while let id = state.urgentOrder.popFirst() ?? state.order.popFirst() {
                if let continuation = state.waiting.removeValue(forKey: id) { return continuation }
            }
            state.available += 1
            return nil
        }
        next?.resume()
    }

    /// Callers waiting for a permit right now.
    public var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Permits in use right now (for the status views and tests).
    public var inUse: Int { state.withLock { capacity - $0.available } }
}
