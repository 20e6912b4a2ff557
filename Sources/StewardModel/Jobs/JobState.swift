/// Where a job stands; `jobs.state`. docs/state-machines.md draws the transitions:
/// available → running → completed; running → retryable → running …; running → discarded after the
/// last attempt; available, retryable or running → cancelled.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for a node to claim it, at or after its `runAt`.
    case available
    /// Claimed by a node, under a lease and a fencing token.
    case running
    /// An attempt failed; it becomes claimable again at its `runAt` (the backoff).
    case retryable
    case completed
    /// Every attempt failed, or it can never succeed (unknown kind, arguments that do not decode).
    case discarded
    case cancelled

    public var isFinished: Bool { self == .completed || self == .discarded || self == .cancelled }

    public static let finished: [JobState] = [.completed, .discarded, .cancelled]
}
