import Foundation
/// `GET /api/v1/cluster/info`: which cluster and which node answered.
public struct ClusterInfo: Codable, Sendable, Equatable {
    public let clusterID: ClusterID
    public let nodeName: String
    public let nodeID: NodeID
    public let softwareVersion: String
    public let schemaVersion: Int
    public let clusterSoftwareVersion: String

    public init(clusterID: ClusterID, nodeName: String, nodeID: NodeID, softwareVersion: String, schemaVersion: Int, clusterSoftwareVersion: String) {
        self.clusterID = clusterID
        self.nodeName = nodeName
        self.nodeID = nodeID
        self.softwareVersion = softwareVersion
        self.schemaVersion = schemaVersion
        self.clusterSoftwareVersion = clusterSoftwareVersion
    }
}

/// `GET /health/ready` and `/health/live`: each check by name, `ok` or what is wrong.
public struct HealthReport: Codable, Sendable, Equatable {
    public let status: String
    public let checks: [String: String]

    public init(status: String, checks: [String: String]) {
        self.status = status
        self.checks = checks
    }
}

/// The body of every error response: what went wrong, in a sentence.
public struct ErrorBody: Codable, Sendable, Equatable {
    public let error: String
    public init(error: String) { self.error = error }

    /// URLs in messages read as URLs: no `\/`.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }
}
