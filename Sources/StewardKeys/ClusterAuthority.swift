import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster's certificate authority for agents: a P-256 key (sealed in the encryption keystore,
/// never written anywhere in clear) and its self-signed certificate (published in the database and
/// as `conf/cluster-ca.pem`). Agents pin its public key the way kubeadm pins a cluster's CA.
public struct ClusterAuthority: Sendable {
    public enum State: String, Sendable, Codable {
        /// Signs new agent certificates.
        case active
        /// No longer signs, still trusted: agents it signed keep working while they re-enroll.
        case trusted
        case retired
    }

    public let serial: String
    public let created: Date
    public let state: State
    public let certificatePEM: String
    let privateKey: P256.Signing.PrivateKey

    init(serial: String, created: Date, state: State, certificatePEM: String, privateKey: P256.Signing.PrivateKey) throws {
        self.serial = serial
        self.created = created
        self.state = state
        self.certificatePEM = certificatePEM
        self.privateKey = privateKey
    }

    /// Ten years: agents and nodes trust it long after their own certificates have renewed many times.
    static let validity: TimeInterval = 10 * 365 * 86400

    static func create(clusterName: String, now: Date = Date()) throws -> ClusterAuthority {
        let key = P256.Signing.PrivateKey()
        let serial = Certificate.SerialNumber()
        let name = try DistinguishedName {
            OrganizationName("Steward")
            CommonName("Steward cluster CA \(clusterName)")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: serial, publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        return try ClusterAuthority(serial: serial.description, created: now, state: .active,
                                    certificatePEM: try certificate.serializeAsPEM().pemString + "\n", privateKey: key)
    }

    public var certificate: Certificate {
        get throws { try Certificate(pemEncoded: certificatePEM) }
    }

    /// `sha256:<hex>` of the CA's SubjectPublicKeyInfo (DER): what `steward-agent enroll --ca-pin` checks,
    /// as kubeadm's `--discovery-token-ca-cert-hash` does.
    public var pin: String { Self.pin(of: privateKey.publicKey) }

    public static func pin(of key: P256.Signing.PublicKey) -> String {
        "sha256:" + SHA256.hash(data: key.derRepresentation).map { String(format: "%02x", $0) }.joined()
    }

    /// The pin of any certificate's public key (for a client checking what a server presents).
    public static func pin(ofCertificatePEM pem: String) throws -> String? {
        let certificate = try Certificate(pemEncoded: pem)
        return P256.Signing.PublicKey(certificate.publicKey).map { pin(of: $0) }
    }

    /// A client certificate for `commonName` (the agent's id, chosen by the server, never taken from
    /// the request) with the CSR's public key, after checking the CSR is signed by that key.
    public func sign(_ csr: CertificateSigningRequest, commonName: String, validity: TimeInterval, now: Date = Date()) throws -> Certificate {
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw KeyError(.noCA, "the certificate request is not signed by the key it carries")
        }
        let issuer = try certificate.subject
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: csr.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
            issuer: issuer, subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(privateKey))
    }
}

extension ClusterAuthority {
    /// The certificate a node presents on the agent channel: from the cluster CA, so an agent that
    /// pinned the CA at enrollment trusts every node, including ones added later. Server
    /// authentication only: an agent's client certificate cannot pose as a node, nor this as an agent.
    public func issueServerCertificate(commonName: String, dnsNames: [String], ipAddresses: [String], key: P256.Signing.PublicKey,
                                       validity: TimeInterval, now: Date = Date()) throws -> Certificate {
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            if let bytes = Self.addressBytes(address) { names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...]))) }
        }
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
            issuer: try certificate.subject, subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(privateKey))
    }
}

extension ClusterAuthority {
    /// An IPv4 or IPv6 address as the bytes a subject alternative name holds; nil for anything else.
    public static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

/// What a client needs from a CA certificate file: serial, pin and expiry.
public enum AuthorityDetails {
    public static func read(_ pem: String) throws -> (serial: String, pin: String, notAfter: Date) {
        let certificate = try Certificate(pemEncoded: pem)
        guard let key = P256.Signing.PublicKey(certificate.publicKey) else { throw KeyError(.noCA, "the CA certificate's key is not P-256") }
        return (certificate.serialNumber.description, ClusterAuthority.pin(of: key), certificate.notValidAfter)
    }
}
