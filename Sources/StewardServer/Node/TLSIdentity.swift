import Foundation
import NIOSSL
import StewardConfiguration
import StewardKeystore

/// The certificate and key every node presents on HTTPS and the agent port, from the keystore
/// entry named by `server.key.alias`. Loaded and validated before any listener is built:
/// TLS mistakes otherwise surface only when the first client connects.
struct TLSIdentity {
    let entry: KeystoreEntry
    let configuration: TLSConfiguration

    static func load(_ node: NodeConfiguration) throws(ConfigurationError) -> TLSIdentity {
        guard let password = node.keystorePassword else {
            throw node.error("server.keystore.password", "is required to open the keystore \(node.keystorePath)")
        }
        do {
            let entry = try Keystore.read(path: node.keystorePath, password: password.value, alias: node.keyAlias)
            try entry.checkValidity(path: node.keystorePath)
            return TLSIdentity(entry: entry, configuration: try entry.serverTLSConfiguration())
        } catch let error as KeystoreError {
            throw node.error(error.configurationKey, error.description)
        } catch {
            throw node.error("server.keystore", "keystore \(node.keystorePath): \(error)")
        }
    }
}
