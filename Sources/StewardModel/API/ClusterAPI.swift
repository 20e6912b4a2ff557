import Foundation

/// One node as `GET /api/v1/cluster/nodes` shows it, with its state as the cluster sees it now.
public struct NodeStatus: Codable, Sendable, Equatable {
    public let nodeID: NodeID
    public let name: String
    public let host: String
    public let httpPort: Int
    public let httpsPort: Int
    public let webSocketPort: Int
    public let softwareVersion: String
    /// For people: "online", "joining: registering (3/4)", "offline (upgrade required)".
    public let state: String
    /// For scripts: joining, online, draining, offline, upgrade_required, decommissioned.
    public let stateCode: NodeState
    public let detail: String
    public let startedAt: Date
    public let lastSeen: Date
    public let secondsSinceSeen: Double
    public let clockSkewMilliseconds: Int
    /// Seconds since the node started; nil when it is not running.
    public let uptimeSeconds: Int?
    public let requestsInFlight: Int
    public let agentsConnected: Int
    public let drainRequested: Bool
    /// The current start of this node (see `Incarnation`).
    public let incarnation: Incarnation
    /// Stopped cleanly (SIGTERM), as opposed to gone silent.
    public let stopped: Bool

    public init(nodeID: NodeID, name: String, host: String, httpPort: Int, httpsPort: Int, webSocketPort: Int,
                softwareVersion: String, state: String, stateCode: NodeState, detail: String, startedAt: Date, lastSeen: Date,
                secondsSinceSeen: Double, clockSkewMilliseconds: Int, uptimeSeconds: Int?, requestsInFlight: Int,
                agentsConnected: Int, drainRequested: Bool, incarnation: Incarnation, stopped: Bool) {
        self.nodeID = nodeID
        self.name = name
        self.host = host
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.webSocketPort = webSocketPort
        self.softwareVersion = softwareVersion
        self.state = state
        self.stateCode = stateCode
        self.detail = detail
        self.startedAt = startedAt
        self.lastSeen = lastSeen
        self.secondsSinceSeen = secondsSinceSeen
        self.clockSkewMilliseconds = clockSkewMilliseconds
        self.uptimeSeconds = uptimeSeconds
        self.requestsInFlight = requestsInFlight
        self.agentsConnected = agentsConnected
        self.drainRequested = drainRequested
        self.incarnation = incarnation
        self.stopped = stopped
    }
}

/// `GET /api/v1/cluster/summary`: every node, and one word for the whole.
public struct ClusterSummary: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Every node that is not decommissioned is online.
        case good = "GOOD"
        /// Some are online, some are not.
        case degraded = "DEGRADED"
        /// None is online.
        case down = "DOWN"
    }

    public let clusterID: ClusterID
    public let status: Status
    public let softwareVersion: String
    public let schemaVersion: Int
    public let onlineNodes: Int
    public let totalNodes: Int
    public let nodes: [NodeStatus]

    public init(clusterID: ClusterID, softwareVersion: String, schemaVersion: Int, nodes: [NodeStatus]) {
        self.clusterID = clusterID
        self.softwareVersion = softwareVersion
        self.schemaVersion = schemaVersion
        self.nodes = nodes
        let members = nodes.filter { $0.stateCode.isMember }
        onlineNodes = members.filter { $0.stateCode == .online }.count
        totalNodes = members.count
        status = onlineNodes == 0 ? .down : onlineNodes == totalNodes ? .good : .degraded
    }
}
