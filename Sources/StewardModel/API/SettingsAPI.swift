import Foundation

/// One cluster setting as `GET /api/v1/cluster/settings` shows it.
public struct ClusterSettingInfo: Codable, Sendable, Equatable {
    public let key: String
    public let value: String
    public let defaultValue: String
    public let meaning: String
    public let updatedAt: Date?
    /// Who set it last: a user, or the node that created the cluster.
    public let updatedBy: String?

    public init(key: String, value: String, defaultValue: String, meaning: String, updatedAt: Date?, updatedBy: String?) {
        self.key = key
        self.value = value
        self.defaultValue = defaultValue
        self.meaning = meaning
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// `PUT /api/v1/cluster/settings/{key}`.
public struct ClusterSettingChange: Codable, Sendable, Equatable {
    public let value: String
    public init(value: String) { self.value = value }
}
