import StewardModel

extension StewardClient {
    public func secrets() async throws -> [SecretInfo] { try await get("/api/v1/secrets", as: [SecretInfo].self) }

    public func secret(_ name: String) async throws -> SecretInfo { try await get("/api/v1/secrets/\(Self.escape(name))", as: SecretInfo.self) }

    public func setSecret(_ name: String, value: String) async throws -> SecretInfo {
        try await send(.PUT, "/api/v1/secrets/\(Self.escape(name))", body: SecretValue(value: value), as: SecretInfo.self)
    }

    public func deleteSecret(_ name: String) async throws { try await sendExpectingSuccess(.DELETE, "/api/v1/secrets/\(Self.escape(name))") }

    public func verifySecret(_ name: String, value: String) async throws -> Bool {
        try await send(.POST, "/api/v1/secrets/\(Self.escape(name))/verify", body: SecretValue(value: value), as: SecretMatch.self).matches
    }

    public func keysStatus() async throws -> KeysStatus { try await get("/api/v1/keys", as: KeysStatus.self) }

    public func startRotation() async throws -> RotationProgress { try await send(.POST, "/api/v1/keys/rotation", as: RotationProgress.self) }

    public func rotationBatch(limit: Int = 100) async throws -> RotationProgress {
        try await send(.POST, "/api/v1/keys/rotation/batch?limit=\(limit)", as: RotationProgress.self)
    }

    public func finishRotation() async throws -> RotationProgress { try await send(.POST, "/api/v1/keys/rotation/finish", as: RotationProgress.self) }

    public func reseal() async throws -> KeysStatus { try await send(.POST, "/api/v1/keys/reseal", as: KeysStatus.self) }

    public func authorities() async throws -> [AuthorityInfo] { try await get("/api/v1/ca", as: [AuthorityInfo].self) }
}
