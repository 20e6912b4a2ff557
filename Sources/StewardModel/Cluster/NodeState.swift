/// A node's state as the cluster records it (`nodes.state`). The one place its words are spelled:
/// SQL binds these values, the API encodes them, nothing else writes them out.
public enum NodeState: String, Codable, Sendable, CaseIterable {
    case joining
    case online
    case draining
    case offline
    case upgradeRequired = "upgrade_required"
    case decommissioned

    /// States of a running node that heartbeats: when its heartbeats stop, the cluster marks it offline.
    public static let heartbeating: [NodeState] = [.joining, .online, .draining]

    /// States whose row no longer belongs to a running process.
    public var isStopped: Bool { self == .offline || self == .decommissioned }

    /// Counts towards `cluster.max.nodes` and the cluster's health.
    public var isMember: Bool { self != .decommissioned }

    /// What people read; `detail` adds the joining step.
    public func display(detail: String) -> String {
        switch self {
        case .joining: return detail.isEmpty ? "joining" : "joining: \(detail)"
        case .upgradeRequired: return "offline (upgrade required)"
        default: return rawValue
        }
    }
}
