import StewardDatabase

/// Records audit events for this node, with the actor and address of a request.
struct AuditTrail: Sendable {
    let runtime: NodeRuntime

    func record(actor: String, action: String, target: String? = nil, source: String?,
                details: [String: String] = [:], on runner: some QueryRunner) async throws {
        try await AuditRepository(logger: runtime.logger).record(
            .init(actor: actor, action: action, target: target, node: runtime.nodeName, sourceAddress: source, details: details),
            on: runner)
    }
}
