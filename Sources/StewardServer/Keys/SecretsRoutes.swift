import Crypto
import Foundation
import Hummingbird
import StewardDatabase
import StewardKeys
import StewardModel

/// `/api/v1/secrets`: values are write-only. Operators list and inspect metadata; admins set,
/// delete and verify (is this the stored value? answered yes or no, the read audited).
struct SecretsRoutes {
    let runtime: NodeRuntime

    static let maxValueBytes = 64 * 1024

    var secrets: SecretRepository { SecretRepository(logger: runtime.logger) }

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("secrets") { _, _ -> [SecretInfo] in try await secrets.list(on: runtime.database) }
        api.get("secrets/{name}") { _, context -> SecretInfo in
            let name = try Self.name(context)
            guard let info = try await secrets.info(name, on: runtime.database) else { throw APIError.notFound("no secret named \(name)") }
            return info
        }
        api.put("secrets/{name}") { request, context -> SecretInfo in try await store(request, context) }
        api.delete("secrets/{name}") { request, context -> Response in
            let identity = try context.requireIdentity()
            let name = try Self.name(context)
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime, secrets = self.secrets
            try await runtime.transaction { connection in
                guard try await secrets.delete(name, on: connection) else { throw APIError.notFound("no secret named \(name)") }
                try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "secret.delete", target: name, source: source, on: connection)
            }
            return Response(status: .noContent)
        }
        api.post("secrets/{name}/verify") { request, context -> SecretMatch in
            let identity = try context.requireIdentity()
            let name = try Self.name(context)
            let candidate = try await request.decode(as: SecretValue.self, context: context)
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            switch try await SecretReader(runtime: runtime).read(name, by: identity.username, purpose: "verify", source: source) {
            case .missing: throw APIError.notFound("no secret named \(name)")
            case .value(let stored):
                // Compared as digests: equal-length inputs, and no early exit on the first differing byte.
                return SecretMatch(matches: SHA256.hash(data: stored) == SHA256.hash(data: Data(candidate.value.utf8)))
            }
        }
    }

    static func name(_ context: StewardRequestContext) throws -> String {
        let name = try context.parameters.require("name")
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard (1...128).contains(name.count), name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }),
              name.first.map({ $0.isLetter || $0.isNumber }) == true else {
            throw APIError.badRequest("a secret name is 1-128 of: letters, digits, '.', '_', '-', starting with a letter or digit")
        }
        return name
    }

    func store(_ request: Request, _ context: StewardRequestContext) async throws -> SecretInfo {
        let identity = try context.requireIdentity()
        let name = try Self.name(context)
        let body = try await request.decode(as: SecretValue.self, context: context)
        guard !body.value.isEmpty, body.value.utf8.count <= Self.maxValueBytes else {
            throw APIError.badRequest("a secret's value is 1 to \(Self.maxValueBytes) bytes")
        }
        let keystore = runtime.keys.keystore
        let version = keystore.activeVersion
        guard let key = keystore.dataKey(version: version) else { throw APIError(status: .serviceUnavailable, message: "no active data key") }
        let ciphertext = try DataEncryption.seal(Data(body.value.utf8), name: name, keyVersion: version, key: key)
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime, secrets = self.secrets
        return try await runtime.transaction { connection in
            // Against a rotation running elsewhere: a value stored with a key the rotation has
            // just retired would be unreadable. Writers share the lock rotations take exclusively.
            try await KeystoreLock.shared(on: connection, logger: runtime.logger)
            let info = try await secrets.store(name: name, keyVersion: version, ciphertext: ciphertext, by: identity.username, on: connection)
            try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "secret.set", target: name, source: source,
                                                          details: ["revision": String(info.revision), "key version": String(version)], on: connection)
            return info
        }
    }
}
