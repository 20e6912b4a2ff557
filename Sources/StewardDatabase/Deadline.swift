import Synchronization

/// Runs `operation`, throwing `DatabaseError.timeout` after `limit` and cancelling it.
///
/// The caller gets control back at the deadline even if the operation ignores cancellation: a
/// task group would wait for its child, and a query stuck on a connection the database has
/// dropped would then hold the caller (a heartbeat, a readiness check) for as long as it stays stuck.
/// postgres-nio has no queue timeout and a running query cannot be cancelled from Swift, so this is
/// what keeps "no query can hang a node" true.
public func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: @autoclosure () -> String = "database operation",
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let description = what()
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, operation: operation, limit: limit, description: description)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of "operation finished", "deadline passed" and "caller cancelled" resumes the caller;
/// the others find it already resumed. Whatever loses is cancelled.
final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var finished: Result<T, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>, operation: @escaping @Sendable () async throws -> T,
               limit: Duration, description: String) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let finished = state.finished { return finished }  // cancelled before it began
            state.continuation = continuation
            return nil
        }
        if let early { return continuation.resume(with: early) }
        let work = Task { [self] in
            do { finish(.success(try await operation())) } catch { finish(.failure(error)) }
        }
        let timer = Task { [self] in
            try? await Task.sleep(for: limit)
            finish(.failure(DatabaseError(.timeout, "\(description) did not finish within \(limit)")))
        }
        let cancelNow = state.withLock { state -> Bool in
            state.tasks = [work, timer]
            return state.finished != nil
        }
        if cancelNow { work.cancel(); timer.cancel() }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard state.finished == nil else { return (nil, []) }
            state.finished = result
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        tasks.forEach { $0.cancel() }
        continuation?.resume(with: result)
    }
}
