/// The four steps of joining (and rejoining) the cluster, as people read them: "registering (3/4)".
public enum NodeJoinStep: Int, Sendable, CaseIterable, Comparable {
    case checkingAppData = 1, checkingSchema, registering, catchingUp

    public var label: String {
        switch self {
        case .checkingAppData: return "checking appdata"
        case .checkingSchema: return "checking schema"
        case .registering: return "registering"
        case .catchingUp: return "catching up"
        }
    }

    /// The `nodes.state_detail` of a joining node: "registering (3/4)".
    public var detail: String { "\(label) (\(rawValue)/\(Self.allCases.count))" }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
