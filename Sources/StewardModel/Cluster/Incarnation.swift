/// One start of one node, numbered from a database sequence. Every write a node makes as itself
/// carries it, and the database refuses a write whose incarnation is no longer the row's: a process
/// that was paused and replaced (or decommissioned) cannot act as the node it was.
public struct Incarnation: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let value: Int64
    public init(_ value: Int64) { self.value = value }
    public var description: String { String(value) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    public init(from decoder: Decoder) throws { value = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
