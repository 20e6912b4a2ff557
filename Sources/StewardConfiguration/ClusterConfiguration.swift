/// The `cluster.*` keys: how nodes watch each other.
public struct ClusterConfiguration: Sendable {
    /// The cluster cannot grow beyond this many nodes (and this is also the default).
    public static let hardMaximumNodes = 20

    public var heartbeatInterval: Duration = .seconds(3)
    public var nodeOfflineAfter: Duration = .seconds(12)
    public var maxNodes: Int = ClusterConfiguration.hardMaximumNodes
    public var maxClockSkew: Duration = .seconds(30)

    public init() {}

    init(reader: PropertyReader) throws(ConfigurationError) {
        heartbeatInterval = try reader.duration("cluster.heartbeat.interval", default: heartbeatInterval)
        nodeOfflineAfter = try reader.duration("cluster.node.offline.after", default: nodeOfflineAfter)
        maxNodes = try reader.int("cluster.max.nodes", default: maxNodes, range: 1...Self.hardMaximumNodes)
        maxClockSkew = try reader.duration("cluster.max.clock.skew", default: maxClockSkew)
        if nodeOfflineAfter < heartbeatInterval * 2 {
            throw reader.error(
                "cluster.node.offline.after",
                "must be at least twice cluster.heartbeat.interval (\(DurationText.format(heartbeatInterval))), or one late heartbeat marks a node offline")
        }
    }
}
