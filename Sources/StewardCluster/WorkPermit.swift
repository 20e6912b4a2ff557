import StewardModel

/// "This node may take work now, as this incarnation, until this instant unless renewed." The job
/// pool and the agent channel hold one and check it before they act; every write they make as the
/// node carries `incarnation`, which the database compares with the node's row.
public struct WorkPermit: Sendable, Equatable {
    public let nodeID: NodeID
    public let incarnation: Incarnation
    /// The membership lease: past this instant the permit is void even if nobody has said so yet
    /// (a process that was paused wakes up with a void permit).
    public let validUntil: ContinuousClock.Instant

    public func isValid(at now: ContinuousClock.Instant) -> Bool { now < validUntil }
}

/// What the permit stream tells its subscribers.
public enum WorkPermitUpdate: Sendable, Equatable {
    case granted(WorkPermit)
    case revoked(reason: String)

    public var permit: WorkPermit? {
        if case .granted(let permit) = self { return permit }
        return nil
    }
}
