import Crypto
import Foundation
import SwiftASN1
import X509

/// Key material for clusters that have no certificate from their own CA yet (trials, tests):
/// a small local CA, and a server certificate signed by it. Clients trust the CA certificate
/// (`stewardctl --ca-file`); the nodes present the server certificate with the CA as its chain.
/// A CA is needed because TLS libraries refuse a plain self-signed server certificate as a trust anchor.
public enum SelfSignedCertificate {
    public struct Material: Sendable {
        public let privateKeyPEM: String
        public let certificatePEM: String
        /// The server certificate then the CA certificate: what a keystore entry holds.
        public let chainPEM: String
        public let caCertificatePEM: String
    }

    public static func generate(
        commonName: String, dnsNames: [String] = ["localhost"], ipAddresses: [String] = ["127.0.0.1"],
        validFrom: Date = Date().addingTimeInterval(-3600), validity: TimeInterval = 365 * 24 * 3600
    ) throws -> Material {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("Steward local CA for \(commonName)") }
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: validFrom, notValidAfter: validFrom.addingTimeInterval(validity),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))

        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: validFrom, notValidAfter: validFrom.addingTimeInterval(validity),
            issuer: caName, subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(alternativeNames(dnsNames: dnsNames, ipAddresses: ipAddresses))
            },
            issuerPrivateKey: .init(caKey))
        let certificatePEM = try certificate.serializeAsPEM().pemString
        let caPEM = try ca.serializeAsPEM().pemString
        return Material(privateKeyPEM: key.pemRepresentation, certificatePEM: certificatePEM,
                        chainPEM: certificatePEM + "\n" + caPEM + "\n", caCertificatePEM: caPEM + "\n")
    }

    static func alternativeNames(dnsNames: [String], ipAddresses: [String]) -> [GeneralName] {
        var names = dnsNames.map { GeneralName.dnsName($0) }
        for address in ipAddresses {
            var bytes = [UInt8](repeating: 0, count: address.contains(":") ? 16 : 4)
            guard inet_pton(address.contains(":") ? AF_INET6 : AF_INET, address, &bytes) == 1 else { continue }
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        return names
    }
}
