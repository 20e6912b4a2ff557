import Foundation
import StewardDatabase
import StewardKeys
import StewardModel

/// The one way a server-side feature reads a secret's value: decrypted on this node, audited
/// (`secret.read`, with who and why), never logged, never sent back through the API.
struct SecretReader: Sendable {
    let runtime: NodeRuntime

    enum Outcome: Sendable {
        case value(Data)
        case missing
    }

    func read(_ name: String, by actor: String, purpose: String, source: String?) async throws -> Outcome {
        let secrets = SecretRepository(logger: runtime.logger)
        guard let (version, ciphertext) = try await secrets.ciphertext(name, on: runtime.database) else { return .missing }
        let key = try await runtime.keys.dataKey(version: version)
        let audit = AuditTrail(runtime: runtime)
        let value: Data
        do throws(KeyError) {
            value = try DataEncryption.open(ciphertext, name: name, keyVersion: version, key: key)
        } catch {
            runtime.logger.error("secret \(name) failed authentication (key version \(version)): its ciphertext is not its own; someone changed the database row")
            try await audit.record(actor: actor, action: "secret.tampered", target: name, source: source,
                                   details: ["purpose": purpose, "key version": String(version)], on: runtime.database)
            throw APIError(status: .conflict, message: error.message)
        }
        // No audit entry, no value: a read that cannot be recorded does not happen.
        try await audit.record(actor: actor, action: "secret.read", target: name, source: source,
                               details: ["purpose": purpose, "key version": String(version)], on: runtime.database)
        return .value(value)
    }
}
