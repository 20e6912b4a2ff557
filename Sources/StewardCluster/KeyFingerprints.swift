import Crypto
import Foundation
import StewardConfiguration
import StewardDatabase

/// What this node holds, as fingerprints the cluster can compare without learning the secrets:
/// an HMAC of the master key (a plain hash of a key is a needless gift), and the certificate's SHA-256.
public enum KeyFingerprints {
    static let noMasterKey = "none"

    public static func node(_ configuration: NodeConfiguration, tlsFingerprint: String) throws -> ClusterFingerprints {
        ClusterFingerprints(masterKey: try masterKey(configuration.masterKeyFile), tls: "sha256:" + tlsFingerprint)
    }

    public static func masterKey(_ file: String?) throws -> String {
        guard let file else { return noMasterKey }
        guard let key = FileManager.default.contents(atPath: file), !key.isEmpty else {
            throw DatabaseError(.query, "server.master.key.file \(file) is empty or unreadable")
        }
        let mac = HMAC<SHA256>.authenticationCode(for: Data("steward master key fingerprint v1".utf8), using: SymmetricKey(data: key))
        return "hmac-sha256:" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Compares the node with the cluster; returns what the cluster should record (filling gaps, or a
    /// new certificate the operator accepted), or throws naming both fingerprints.
    public static func reconcile(cluster: ClusterFingerprints, node: ClusterFingerprints, acceptNewCertificate: Bool) throws -> ClusterFingerprints? {
        var recorded = cluster
        if let expected = cluster.masterKey, expected != node.masterKey {
            throw DatabaseError(.query,
                "this node's master key (server.master.key.file) has fingerprint \(node.masterKey ?? noMasterKey) but the cluster's is \(expected); every node must hold the same master key")
        }
        if let expected = cluster.tls, expected != node.tls, !acceptNewCertificate {
            throw DatabaseError(.query,
                "this node presents certificate \(node.tls ?? "none") but the cluster's nodes present \(expected); every node must present the same certificate (after replacing it for the whole cluster, start one node with --accept-new-certificate)")
        }
        recorded.masterKey = cluster.masterKey ?? node.masterKey
        recorded.tls = node.tls
        return recorded == cluster ? nil : recorded
    }
}
