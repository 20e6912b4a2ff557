/// The node-local `security.*` keys. Login policy, session timeouts and password rules are
/// cluster settings (`ClusterSettings`); what is left here is this node's own CPU budget.
public struct SecurityConfiguration: Sendable {
    /// bcrypt work factor for stored passwords (each step doubles the work).
    public var bcryptCost = 12

    public init() {}

    init(reader: PropertyReader) throws(ConfigurationError) {
        bcryptCost = try reader.int("security.bcrypt.cost", default: bcryptCost, range: 4...16)
    }
}
