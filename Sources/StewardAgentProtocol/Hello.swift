/// What a node says first on every agent connection, before the peer has proved who it is: only
/// the protocol versions it speaks. Nothing about the cluster (its id, the node's name or exact
/// version) goes to an unauthenticated peer; that comes in the welcome, after authentication.
public struct ServerHello: Codable, Sendable, Equatable {
    public static let type = "hello"
    public let protocolVersions: [Int]

    public init(protocolVersions: [Int] = [AgentProtocol.version]) {
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
