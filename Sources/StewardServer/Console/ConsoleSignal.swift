import Synchronization

/// Wakes the console's event streams when a NOTIFY says something changed (jobs, agents), so a
/// stream re-reads at once instead of at its next tick. Waiting is bounded by a timeout and ends
/// on cancellation. Hand-written: AsyncStream finishes on a cancelled `next()`, so it cannot be
/// raced against a timer.
final class ConsoleSignal: Sendable {
    private struct State {
        var generation = 0
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Woken (by timeout or cancellation) before its continuation was stored.
        var early: Set<Int> = []
    }

    private let state = Mutex(State())

    var generation: Int { state.withLock { $0.generation } }

    func fire() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.generation += 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once the generation moves past `seen`, `timeout` passes, or the task is cancelled.
    func wait(since seen: Int, timeout: Duration) async {
        let id = state.withLock { state -> Int? in
            guard state.generation == seen else { return nil }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.wake(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.generation != seen || state.early.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            wake(id)
        }
        timer.cancel()
        state.withLock { _ = $0.early.remove(id) }
    }

    private func wake(_ id: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let continuation = state.waiters.removeValue(forKey: id) { return continuation }
            state.early.insert(id)
            return nil
        }
        continuation?.resume()
    }
}
