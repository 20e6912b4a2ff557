import StewardModel
import Synchronization

/// Who this process is in the cluster, and whether it may work: the owner of the membership state
/// machine. Events go in through `handle`; the work permit comes out, both as a value checked
/// against the clock (`permit()`) and as a stream of grants and revocations (`permitUpdates()`).
public final class NodeMembership: Sendable {
    public typealias Machine = MembershipStateMachine

    public let nodeID: NodeID
    public let nodeName: String
    public let clusterID: ClusterID
    public let incarnation: Incarnation
    public let clock: any NodeClock

    /// The last heartbeat the database answered: what readiness reports, with no query of its own.
    public struct HeartbeatSeen: Sendable, Equatable {
        public let at: ContinuousClock.Instant
        /// Set when the cluster runs a newer version or schema than this binary.
        public let newerClusterVersion: String?
    }

    private struct State {
        var lastHeartbeat: HeartbeatSeen?
        var machine: Machine
        var subscribers: [Int: AsyncStream<WorkPermitUpdate>.Continuation] = [:]
        var nextSubscriber = 0
        var lastUpdate: WorkPermitUpdate = .revoked(reason: "joining")
    }

    private let guarded: Mutex<State>

    public init(nodeID: NodeID, nodeName: String, clusterID: ClusterID, incarnation: Incarnation,
                limits: Machine.Limits, clock: any NodeClock = SystemNodeClock()) {
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.clusterID = clusterID
        self.incarnation = incarnation
        self.clock = clock
        guarded = Mutex(State(machine: Machine(limits: limits, startedAt: clock.now)))
    }

    public var state: MembershipState { guarded.withLock { $0.machine.state } }

    public var lastHeartbeat: HeartbeatSeen? { guarded.withLock { $0.lastHeartbeat } }

    func heartbeatAnswered(newerClusterVersion: String?) {
        let now = clock.now
        guarded.withLock { $0.lastHeartbeat = HeartbeatSeen(at: now, newerClusterVersion: newerClusterVersion) }
    }
    public var clockSkew: Duration { guarded.withLock { $0.machine.clockSkew } }
    public var limits: Machine.Limits { guarded.withLock { $0.machine.limits } }

    /// The permit, if this node may take work at this instant (online and inside its lease).
    public func permit() -> WorkPermit? {
        let now = clock.now
        return guarded.withLock { state in
            guard state.machine.acceptsWork(at: now), let expiry = state.machine.leaseExpiry else { return nil }
            return WorkPermit(nodeID: nodeID, incarnation: incarnation, validUntil: expiry)
        }
    }

    public var acceptsWork: Bool { permit() != nil }

    /// Grants and revocations, starting with the current one. Ends when the subscriber stops listening.
    public func permitUpdates() -> AsyncStream<WorkPermitUpdate> {
        let (stream, continuation) = AsyncStream<WorkPermitUpdate>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = guarded.withLock { state -> Int in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            continuation.yield(state.lastUpdate)
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.guarded.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Feeds one event to the machine and publishes what it means for the permit. The caller carries
    /// out the actions (see `MembershipDriver`).
    @discardableResult
    public func handle(_ event: (inout Machine, ContinuousClock.Instant) -> [Machine.Action]) -> [Machine.Action] {
        let now = clock.now
        return guarded.withLock { state in
            let actions = event(&state.machine, now)
            for action in actions {
                switch action {
                case .resumeWork:
                    guard let expiry = state.machine.leaseExpiry else { continue }
                    publish(.granted(WorkPermit(nodeID: nodeID, incarnation: incarnation, validUntil: expiry)), in: &state)
                case .stopWork(let reason):
                    publish(.revoked(reason: reason), in: &state)
                default:
                    break
                }
            }
            return actions
        }
    }

    private func publish(_ update: WorkPermitUpdate, in state: inout State) {
        state.lastUpdate = update
        for subscriber in state.subscribers.values { subscriber.yield(update) }
    }

    /// Ends every permit stream (the node is shutting down).
    public func finishUpdates() {
        let subscribers = guarded.withLock { state -> [AsyncStream<WorkPermitUpdate>.Continuation] in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        subscribers.forEach { $0.finish() }
    }
}
