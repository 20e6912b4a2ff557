import Foundation
import StewardDatabase
import Synchronization

/// How one attempt ended.
enum AttemptEnd: Sendable, Equatable {
    enum StopReason: Sendable, Equatable {
        /// Someone cancelled the job.
        case cancelRequested
        /// The job is no longer this node's (its lease expired and another node claimed it).
        case lost
        /// The node is shutting down and the attempt did not finish in time.
        case shutdown
    }

    case succeeded(resultJSON: String?)
    case failed(String, permanent: Bool)
    case timedOut(Duration)
    case stopped(StopReason)
}

/// One running attempt. The first of "the handler returned", "the kind's timeout passed" and
/// "stopped from outside" ends it; the handler's task is cancelled by the others. The worker gets
/// its slot back at that moment even when a handler ignores cancellation: a hung handler costs a
/// task, never a stuck worker.
final class JobAttempt: Sendable {
    let job: ClaimedJob
    let startedAt: ContinuousClock.Instant

    private struct State {
        var end: AttemptEnd?
        var continuation: CheckedContinuation<AttemptEnd, Never>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    init(job: ClaimedJob) {
        self.job = job
        startedAt = .now
    }

    func run(timeout: Duration, _ handler: @escaping @Sendable () async throws -> String?) async -> AttemptEnd {
        await withCheckedContinuation { continuation in
            let early = state.withLock { state -> AttemptEnd? in
                if let end = state.end { return end }
                state.continuation = continuation
                return nil
            }
            if let early { return continuation.resume(returning: early) }
            let work = Task { [self] in
                do {
                    finish(.succeeded(resultJSON: try await handler()))
                } catch let error as PermanentJobError {
                    finish(.failed(error.description, permanent: true))
                } catch {
                    finish(.failed(Self.describe(error), permanent: false))
                }
            }
            let timer = Task { [self] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                finish(.timedOut(timeout))
            }
            let cancelNow = state.withLock { state -> Bool in
                state.tasks = [work, timer]
                return state.end != nil
            }
            if cancelNow { work.cancel(); timer.cancel() }
        }
    }

    func stop(_ reason: AttemptEnd.StopReason) { finish(.stopped(reason)) }

    private func finish(_ end: AttemptEnd) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<AttemptEnd, Never>?, [Task<Void, Never>]) in
            guard state.end == nil else { return (nil, []) }
            state.end = end
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        tasks.forEach { $0.cancel() }
        continuation?.resume(returning: end)
    }

    static func describe(_ error: any Error) -> String {
        String(String(describing: DatabaseError.readable(error)).prefix(4000))
    }
}
