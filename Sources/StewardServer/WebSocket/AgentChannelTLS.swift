import Crypto
import Foundation
import NIOSSL
import StewardConfiguration
import StewardKeys
import X509

/// TLS on the agent port. The node presents a certificate from the cluster CA, made at start for
/// this process (its key never leaves memory), so agents trust nodes through the CA they pinned at
/// enrollment. Client certificates are checked against the cluster's CAs: a certificate from
/// anyone else fails the handshake. One may connect without a certificate, for the health checks
/// of a load balancer; the agent channel itself then refuses the upgrade (`AgentSocketRoutes`).
enum AgentChannelTLS {
    /// Made again at every start; agents never store it.
    static let validity: TimeInterval = 30 * 86400

    static func configuration(node: NodeConfiguration, keystore: EncryptionKeystore) throws -> TLSConfiguration {
        guard let authority = keystore.activeAuthority else {
            throw KeyError(.noCA, "the encryption keystore has no active cluster CA for the agent channel (see docs/keys.md)")
        }
        let key = P256.Signing.PrivateKey()
        var dnsNames = ["localhost", node.advertisedHost, ProcessInfo.processInfo.hostName]
        var addresses = ["127.0.0.1", "::1"]
        for host in [node.advertisedHost, node.bindAddress] where ClusterAuthority.addressBytes(host) != nil { addresses.append(host) }
        dnsNames = Array(Set(dnsNames.filter { ClusterAuthority.addressBytes($0) == nil })).sorted()
        let certificate = try authority.issueServerCertificate(commonName: node.nodeName, dnsNames: dnsNames, ipAddresses: addresses,
                                                               key: key.publicKey, validity: validity)
        let chain = try NIOSSLCertificate(bytes: Array(try certificate.serializeAsPEM().pemString.utf8), format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(chain)],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        let roots = try keystore.authorities.filter { $0.state != .retired }.map {
            try NIOSSLCertificate(bytes: Array($0.certificatePEM.utf8), format: .pem)
        }
        tls.trustRoots = .certificates(roots)
        tls.certificateVerification = .optionalVerification
        // A peer that stopped answering (a paused or vanished agent) would hold its socket for NIO's
        // default 5 s waiting for its TLS close; the ping has already given it a full interval.
        tls.shutdownTimeout = .seconds(1)
        return tls
    }
}
