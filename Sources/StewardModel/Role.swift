import Foundation


/// What a person or token may do. Each role includes the ones below it.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Sees everything, changes nothing.
    case viewer
    /// Runs the cluster: deployments, agents, node drain.
    case `operator`
    /// Everything, including users, tokens of others, and the audit log.
    case admin

    var rank: Int {
        switch self {
        case .viewer: return 0
        case .operator: return 1
        case .admin: return 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Identifies a user account.
public struct UserID: Hashable, Codable, Sendable, CustomStringConvertible {
    public let uuid: UUID
    public init(_ uuid: UUID) { self.uuid = uuid }
    public var description: String { uuid.uuidString.lowercased() }
}

/// Identifies an API token.
public struct TokenID: Hashable, Codable, Sendable, CustomStringConvertible {
    public let uuid: UUID
    public init(_ uuid: UUID) { self.uuid = uuid }
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }
    public var description: String { uuid.uuidString.lowercased() }
}
