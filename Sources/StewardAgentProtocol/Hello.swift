import StewardModel

/// What a node says first on every agent connection: who it is and which cluster it belongs to.
public struct ServerHello: Codable, Sendable, Equatable {
    public static let type = "hello"
    public let nodeName: String
    public let nodeID: NodeID
    public let clusterID: ClusterID
    public let serverVersion: String
    public let protocolVersions: [Int]

    public init(nodeName: String, nodeID: NodeID, clusterID: ClusterID, serverVersion: String, protocolVersions: [Int] = [AgentProtocol.version]) {
        self.nodeName = nodeName
        self.nodeID = nodeID
        self.clusterID = clusterID
        self.serverVersion = serverVersion
        self.protocolVersions = protocolVersions
    }
}

/// The answer to a message a side cannot accept; the connection is closed after it when `fatal`.
public struct ProtocolError: Codable, Sendable, Equatable {
    public static let type = "error"
    public let code: String
    public let message: String
    public let fatal: Bool

    public init(code: String, message: String, fatal: Bool) {
        self.code = code
        self.message = message
        self.fatal = fatal
    }
}
