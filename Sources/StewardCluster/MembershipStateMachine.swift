import StewardModel

/// The membership decisions of one node, as a pure state machine: events in, actions out.
/// It never reads a clock or touches the database; the caller passes the time of each event
/// (a monotonic instant) and carries out the actions. That is what lets the tests drive every
/// transition, pauses and clock skew included, without waiting.
public struct MembershipStateMachine: Sendable {
    public typealias Instant = ContinuousClock.Instant

    public struct Limits: Sendable {
        public var offlineAfter: Duration
        public var maxClockSkew: Duration
        public var clockSkewWarning: Duration = .seconds(1)

        public init(offlineAfter: Duration, maxClockSkew: Duration) {
            self.offlineAfter = offlineAfter
            self.maxClockSkew = maxClockSkew
        }
    }

    /// What a successful heartbeat learned from the database.
    public struct Heartbeat: Sendable, Equatable {
        /// When the heartbeat was sent (its lease runs from here, never from the answer).
        public var sentAt: Instant
        /// The database had not seen this node for `offlineAfter`: the others consider it offline.
        public var wasDeclaredOffline: Bool = false
        public var drainRequested: Bool = false
        public var decommissioned: Bool = false
        /// The row now belongs to a later start of this node: nothing was written.
        public var supersededBy: Incarnation?
        /// Set when the cluster runs a newer version than this node.
        public var newerClusterVersion: String?
        /// This node's clock minus the database's.
        public var clockSkew: Duration = .zero

        public init(sentAt: Instant) { self.sentAt = sentAt }
    }

    /// What the driver must do, in order, with everything it needs: it never reads the machine back.
    public enum Action: Sendable, Equatable {
        /// Write this state to this node's row (and audit the change).
        case recordState(MembershipState)
        /// Stop taking work: the work permit is revoked, readiness fails, agents go elsewhere.
        case stopWork(reason: String)
        /// Take work again: the work permit is granted.
        case resumeWork
        /// Carry out this rejoin step, then report `joinStepSucceeded` or `joinStepFailed`.
        case runJoinStep(MembershipState.JoinStep)
        case warnClockSkew(seconds: Int)
    }

    public private(set) var limits: Limits
    public private(set) var state: MembershipState
    /// Until when this node may act as online without another successful heartbeat.
    public private(set) var leaseExpiry: Instant?
    public private(set) var clockSkew: Duration = .zero

    /// A node that has just passed the start-up checks: its first heartbeat is "catching up".
    public init(limits: Limits, startedAt: Instant) {
        self.limits = limits
        state = .joining(.catchingUp)
        leaseExpiry = startedAt + limits.offlineAfter
    }

    /// True only while online and inside the lease: a paused node that wakes up is not online,
    /// even before it has had the chance to notice.
    public func acceptsWork(at now: Instant) -> Bool {
        guard state == .online, let leaseExpiry else { return false }
        return now < leaseExpiry
    }

    public mutating func heartbeatSucceeded(_ heartbeat: Heartbeat) -> [Action] {
        clockSkew = heartbeat.clockSkew
        if state.isFinal && state != .offline(.drained) { return [] }
        if heartbeat.decommissioned { return move(to: .decommissioned, stopping: "the node was decommissioned", record: false) }
        if let later = heartbeat.supersededBy {
            return move(to: .superseded(by: later), stopping: "another start of this node (incarnation \(later)) has replaced this process", record: false)
        }
        if let version = heartbeat.newerClusterVersion {
            return move(to: .upgradeRequired(clusterVersion: version), stopping: "the cluster runs \(version); upgrade required")
        }
        if state == .offline(.drained) { return [] }
        let magnitude = heartbeat.clockSkew < .zero ? .zero - heartbeat.clockSkew : heartbeat.clockSkew
        // Rounded, not truncated: a measured 1.96 s (network delay) is a 2 s skew to a person.
        let skewSeconds = Int(magnitude.inSeconds.rounded())
        let skewTooLarge = magnitude > limits.maxClockSkew
        let actions: [Action] = magnitude > limits.clockSkewWarning ? [.warnClockSkew(seconds: skewSeconds)] : []
        if skewTooLarge {
            if case .offline(.clockSkew) = state { return actions }
            return actions + move(to: .offline(.clockSkew(seconds: skewSeconds)), stopping: "clock skew of \(skewSeconds)s exceeds cluster.max.clock.skew")
        }
        switch state {
        case .online where heartbeat.wasDeclaredOffline:
            return actions + move(to: .joining(.checkingAppData), stopping: "the cluster declared this node offline; rejoining")
                + [.runJoinStep(.checkingAppData)]
        case .online where heartbeat.drainRequested:
            leaseExpiry = heartbeat.sentAt + limits.offlineAfter
            return actions + move(to: .draining, stopping: "drain requested")
        case .online, .draining:
            leaseExpiry = heartbeat.sentAt + limits.offlineAfter
            return actions
        case .offline:
            // Reachable again with a sane clock: rejoin from the first step.
            state = .joining(.checkingAppData)
            return actions + [.recordState(state), .runJoinStep(.checkingAppData)]
        case .joining, .upgradeRequired, .decommissioned, .superseded, .stopping:
            return actions
        }
    }

    public mutating func heartbeatFailed(at now: Instant) -> [Action] { tick(at: now) }

    /// Called every interval: the lease runs out here when heartbeats stop succeeding.
    public mutating func tick(at now: Instant) -> [Action] {
        guard state == .online || state == .draining, let leaseExpiry, now >= leaseExpiry else { return [] }
        return move(to: .offline(.heartbeatLost), stopping: "no successful heartbeat for \(limits.offlineAfter)")
    }

    public mutating func joinStepSucceeded(_ step: MembershipState.JoinStep, at now: Instant) -> [Action] {
        guard state == .joining(step) else { return [] }
        if let next = MembershipState.JoinStep(rawValue: step.rawValue + 1) {
            state = .joining(next)
            return [.recordState(state), .runJoinStep(next)]
        }
        state = .online
        leaseExpiry = now + limits.offlineAfter
        return [.recordState(state), .resumeWork]
    }

    public mutating func joinStepFailed(_ step: MembershipState.JoinStep, reason: String) -> [Action] {
        guard state == .joining(step) else { return [] }
        state = .offline(.joinFailed(reason))
        return [.recordState(state)]
    }

    /// The node itself cannot go on: the cluster upgraded, or it was decommissioned.
    public mutating func refused(_ final: MembershipState) -> [Action] {
        guard !(state.isFinal && state != .offline(.drained)) else { return [] }
        return move(to: final, stopping: final.detail.isEmpty ? final.display : final.detail, record: final != .decommissioned)
    }

    /// A draining node whose work has finished.
    public mutating func drainFinished() -> [Action] {
        guard state == .draining else { return [] }
        state = .offline(.drained)
        return [.recordState(state)]
    }

    /// SIGTERM: from any state, readiness turns off at once.
    public mutating func shutdownRequested() -> [Action] {
        guard state != .stopping, !state.isFenced else { return [] }  // a fenced process writes nothing, ever
        let wasWorking = state == .online
        state = .stopping
        return (wasWorking ? [.stopWork(reason: "shutting down")] : []) + [.recordState(state)]
    }

    /// The database refused a write of this process: its incarnation is no longer the node's.
    public mutating func writeRefused(decommissioned: Bool, current: Incarnation?) -> [Action] {
        guard !state.isFenced else { return [] }
        let next: MembershipState = decommissioned ? .decommissioned : .superseded(by: current ?? Incarnation(0))
        return move(to: next, stopping: next.described, record: false)
    }

    /// The cluster's settings changed: the lease is measured against the new limits from now on.
    public mutating func limitsChanged(_ new: Limits) {
        limits = new
    }

    mutating func move(to next: MembershipState, stopping reason: String, record: Bool = true) -> [Action] {
        let wasWorking = state == .online
        state = next
        return (wasWorking ? [.stopWork(reason: reason)] : []) + (record ? [.recordState(next)] : [])
    }
}
