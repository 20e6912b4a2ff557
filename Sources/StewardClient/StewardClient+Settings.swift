import StewardModel

extension StewardClient {
    public func clusterSettings() async throws -> [ClusterSettingInfo] {
        try await get("/api/v1/cluster/settings", as: [ClusterSettingInfo].self)
    }

    public func clusterSetting(_ key: String) async throws -> ClusterSettingInfo {
        try await get("/api/v1/cluster/settings/\(Self.escape(key))", as: ClusterSettingInfo.self)
    }

    public func setClusterSetting(_ key: String, to value: String) async throws -> ClusterSettingInfo {
        try await send(.PUT, "/api/v1/cluster/settings/\(Self.escape(key))", body: ClusterSettingChange(value: value), as: ClusterSettingInfo.self)
    }
}
