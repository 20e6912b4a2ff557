import Foundation
import StewardConfiguration
import StewardDatabase
import StewardKeys

/// What this node holds, as fingerprints the cluster can compare without learning the secrets:
/// an HMAC of the master key (a plain hash of a key is a needless gift), and the certificate's SHA-256.
public enum KeyFingerprints {
    /// The node's master keys (current, then the next one during a change) and its certificate.
    public static func node(_ masterKeys: [MasterKey], tlsFingerprint: String) -> (ClusterFingerprints, accepted: [String]) {
        (ClusterFingerprints(masterKey: masterKeys.first?.fingerprint, tls: "sha256:" + tlsFingerprint), masterKeys.map(\.fingerprint))
    }

    /// Compares the node with the cluster; returns what the cluster should record (filling gaps, or a
    /// new certificate the operator accepted), or throws naming both fingerprints. During a master key
    /// change the cluster's key may be either of the node's.
    public static func reconcile(cluster: ClusterFingerprints, node: ClusterFingerprints, acceptedMasterKeys: [String],
                                 acceptNewCertificate: Bool) throws -> ClusterFingerprints? {
        var recorded = cluster
        if let expected = cluster.masterKey, !acceptedMasterKeys.contains(expected) {
            throw DatabaseError(.query,
                "this node's master key (server.master.key.file) has fingerprint \(node.masterKey ?? "none") but the cluster's is \(expected); every node must hold the same master key")
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
