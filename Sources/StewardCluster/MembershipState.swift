import StewardModel

/// A node's own view of its membership. The database row mirrors it (see `rowState`), and other
/// nodes read the row; docs/state-machines.md draws the transitions.
public enum MembershipState: Sendable, Equatable {
    public typealias JoinStep = NodeJoinStep

    public enum OfflineReason: Sendable, Equatable {
        /// No successful heartbeat for `cluster.node.offline.after` (database away, node paused).
        case heartbeatLost
        /// The database shows this node as not seen for too long: the cluster has declared it offline.
        case declaredOffline
        /// This node's clock differs from the database's by more than `cluster.max.clock.skew`.
        case clockSkew(seconds: Int)
        /// A rejoin step failed; it is retried on the next heartbeat.
        case joinFailed(String)
        /// Drained on request; it stays offline until restarted.
        case drained
    }

    case joining(JoinStep)
    case online
    case draining
    case offline(OfflineReason)
    case upgradeRequired(clusterVersion: String)
    case decommissioned
    /// Another start of this node has registered since this process did: it must never write as the node again.
    case superseded(by: Incarnation)
    case stopping

    /// The `nodes.state` value.
    public var rowState: NodeState {
        switch self {
        case .joining: return .joining
        case .online: return .online
        case .draining, .stopping: return .draining
        case .offline, .superseded: return .offline
        case .upgradeRequired: return .upgradeRequired
        case .decommissioned: return .decommissioned
        }
    }

    /// The `nodes.state_detail` value: why, in words.
    public var detail: String {
        switch self {
        case .joining(let step): return step.detail
        case .online: return ""
        case .draining: return "drain requested"
        case .stopping: return "shutting down"
        case .offline(.heartbeatLost): return "no heartbeat"
        case .offline(.declaredOffline): return "declared offline by the cluster"
        case .offline(.clockSkew(let seconds)): return "clock differs from the database by \(seconds)s"
        case .offline(.joinFailed(let reason)): return "rejoin failed: \(reason)"
        case .offline(.drained): return "drained"
        case .upgradeRequired(let version): return "the cluster runs \(version)"
        case .decommissioned: return ""
        case .superseded(let incarnation): return "replaced by incarnation \(incarnation)"
        }
    }

    /// What people read: "joining: checking appdata (1/4)", "offline (upgrade required)".
    public var display: String {
        switch self {
        case .stopping: return "draining"
        case .superseded: return "offline (replaced)"
        default: return rowState.display(detail: detail)
        }
    }

    /// `display` with its reason, for logs and readiness: "offline (clock differs from the database by 90s)".
    public var described: String {
        detail.isEmpty || display.contains(detail) ? display : "\(display) (\(detail))"
    }

    /// States a node leaves only by being restarted.
    public var isFinal: Bool {
        switch self {
        case .upgradeRequired, .decommissioned, .superseded, .stopping, .offline(.drained): return true
        default: return false
        }
    }

    /// The process may never write as the node again: its incarnation is not the row's.
    public var isFenced: Bool {
        switch self {
        case .decommissioned, .superseded: return true
        default: return false
        }
    }
}
