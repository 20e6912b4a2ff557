import Hummingbird
import StewardConfiguration
import StewardDatabase
import StewardModel

/// `/api/v1/cluster/settings` (admins): the cluster-wide settings, read and changed live. A change
/// is audited and reaches every node within one heartbeat.
struct SettingsRoutes {
    let runtime: NodeRuntime

    var settings: SettingsRepository { SettingsRepository(logger: runtime.logger) }

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("cluster/settings") { _, _ -> [ClusterSettingInfo] in
            let client = runtime.database, settings = self.settings
            return try await settings.list(on: client)
        }
        api.get("cluster/settings/{key}") { _, context -> ClusterSettingInfo in
            let key = try context.parameters.require("key")
            let client = runtime.database, settings = self.settings
            let all = try await settings.list(on: client)
            guard let setting = all.first(where: { $0.key == key }) else { throw Self.unknown(key) }
            return setting
        }
        api.put("cluster/settings/{key}") { request, context -> ClusterSettingInfo in
            let identity = try context.requireIdentity()
            let key = try context.parameters.require("key")
            guard ClusterSettings.definition(key) != nil else { throw Self.unknown(key) }
            let change = try await request.decode(as: ClusterSettingChange.self, context: context)
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime, settings = self.settings
            do {
                return try await runtime.transaction { connection in
                    let before = try await settings.list(on: connection).first { $0.key == key }?.value
                    let info = try await settings.set(key, to: change.value, by: identity.username, on: connection)
                    try await AuditTrail(runtime: runtime).record(
                        actor: identity.username, action: "cluster.setting", target: key, source: source,
                        details: ["from": before ?? "", "to": info.value], on: connection)
                    return info
                }
            } catch let refusal as ClusterSettingError {
                throw APIError.badRequest(refusal.description)
            }
        }
    }

    static func unknown(_ key: String) -> APIError {
        APIError.notFound("\(key.prefix(100)) is not a cluster setting; GET /api/v1/cluster/settings lists them")
    }
}
