import Foundation
import Hummingbird
import StewardLicense
import StewardModel

/// `/api/v1/license` (the seats and warnings, and their hourly history) and `/api/v1/licenses`
/// (the keys: anyone may read them; admins add and remove them).
struct LicenseRoutes {
    let runtime: NodeRuntime

    var licensing: Licensing { Licensing(runtime: runtime) }

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("license") { _, _ -> LicenseSummary in try await licensing.summary(on: runtime.database) }
        api.get("license/usage") { request, _ -> LicenseUsage in
            let days = try Self.days(request.uri.queryParameters["days"].map(String.init))
            let hours = try await LicenseRepository(logger: runtime.logger).usage(days: days, on: runtime.database)
            return LicenseUsage(days: days, hours: hours)
        }
        api.get("licenses") { _, _ -> [LicenseInfo] in try await licensing.licenses(on: runtime.database) }
        api.get("licenses/{id}") { _, context -> LicenseInfo in
            let id = try context.parameters.require("id")
            guard let info = try await licensing.licenses(on: runtime.database).first(where: { $0.id == id }) else {
                throw APIError.notFound("no license with id \(id)")
            }
            return info
        }
        api.post("licenses") { request, context -> Response in
            let identity = try context.requireIdentity()
            let body = try await request.decode(as: LicenseAddRequest.self, context: context)
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let info = try await licensing.add(document: body.document, by: identity.username, source: source)
            return try AuthRoutes.json(info, status: .created)
        }
        api.delete("licenses/{id}") { request, context -> LicenseSummary in
            let identity = try context.requireIdentity()
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            return try await licensing.remove(try context.parameters.require("id"), by: identity.username, source: source)
        }
    }

    /// 1 to 90 days of history; 90 unless asked.
    static func days(_ text: String?) throws -> Int {
        guard let text else { return 90 }
        guard let days = Int(text), (1...90).contains(days) else { throw APIError.badRequest("days: a whole number from 1 to 90") }
        return days
    }
}
