import StewardModel

extension StewardClient {
    public func licenseSummary() async throws -> LicenseSummary { try await get("/api/v1/license", as: LicenseSummary.self) }

    public func licenses() async throws -> [LicenseInfo] { try await get("/api/v1/licenses", as: [LicenseInfo].self) }

    public func license(_ id: String) async throws -> LicenseInfo { try await get("/api/v1/licenses/\(Self.escape(id))", as: LicenseInfo.self) }

    /// Adds a license file's text, as `stewardctl license issue` wrote it.
    public func addLicense(_ document: String) async throws -> LicenseInfo {
        try await send(.POST, "/api/v1/licenses", body: LicenseAddRequest(document: document), as: LicenseInfo.self)
    }

    /// Removes a key; the answer says where the seats stand without it.
    public func removeLicense(_ id: String) async throws -> LicenseSummary {
        try await send(.DELETE, "/api/v1/licenses/\(Self.escape(id))", as: LicenseSummary.self)
    }

    public func licenseUsage(days: Int = 90) async throws -> LicenseUsage {
        try await get("/api/v1/license/usage?days=\(days)", as: LicenseUsage.self)
    }
}
