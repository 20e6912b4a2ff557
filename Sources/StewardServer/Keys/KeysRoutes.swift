import Foundation
import Hummingbird
import StewardKeys
import StewardModel
import X509

/// `/api/v1/keys` (admins): the data keys, their rotation and the master key reseal; and
/// `/api/v1/ca` (everyone): the cluster CA's certificate and pin, which are public by design.
struct KeysRoutes {
    let runtime: NodeRuntime

    func add(to api: RouterGroup<StewardRequestContext>) {
        let rotation = KeyRotation(runtime: runtime)
        api.get("keys") { _, _ -> KeysStatus in try await rotation.status() }
        api.post("keys/rotation") { request, context -> RotationProgress in
            let identity = try context.requireIdentity()
            return try await rotation.start(by: identity.username, source: context.clientAddress(request, trusted: runtime.configuration.trustedProxies))
        }
        api.post("keys/rotation/batch") { request, _ -> RotationProgress in
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 100
            guard (1...1000).contains(limit) else { throw APIError.badRequest("limit must be 1-1000") }
            return try await rotation.batch(limit: limit)
        }
        api.post("keys/rotation/finish") { request, context -> RotationProgress in
            let identity = try context.requireIdentity()
            return try await rotation.finish(by: identity.username, source: context.clientAddress(request, trusted: runtime.configuration.trustedProxies))
        }
        api.post("keys/reseal") { request, context -> KeysStatus in
            let identity = try context.requireIdentity()
            return try await rotation.reseal(by: identity.username, source: context.clientAddress(request, trusted: runtime.configuration.trustedProxies))
        }
        api.get("ca") { _, _ -> [AuthorityInfo] in
            try runtime.keys.keystore.authorities.filter { $0.state != .retired }.map { authority in
                AuthorityInfo(serial: authority.serial, state: authority.state.rawValue, certificatePEM: authority.certificatePEM,
                              pin: authority.pin, notAfter: try authority.certificate.notValidAfter)
            }
        }
    }
}
