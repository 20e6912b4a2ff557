import Crypto
import Foundation
import SwiftASN1
import X509

/// A P-256 key and a self-signed certificate for it: quick starts, tests, and a first cluster
/// before the operator installs a certificate from their own CA.
public enum SelfSignedCertificate {
    public struct Material: Sendable {
        public let privateKeyPEM: String
        public let certificatePEM: String
    }

    public static func generate(
        commonName: String, dnsNames: [String] = ["localhost"], ipAddresses: [String] = ["127.0.0.1"],
        validFrom: Date = Date().addingTimeInterval(-3600), validity: TimeInterval = 365 * 24 * 3600
    ) throws -> Material {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        var alternativeNames = dnsNames.map { GeneralName.dnsName($0) }
        for address in ipAddresses {
            var bytes = [UInt8](repeating: 0, count: address.contains(":") ? 16 : 4)
            guard inet_pton(address.contains(":") ? AF_INET6 : AF_INET, address, &bytes) == 1 else { continue }
            alternativeNames.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: validFrom,
            notValidAfter: validFrom.addingTimeInterval(validity),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(alternativeNames)
            },
            issuerPrivateKey: .init(key))
        return Material(privateKeyPEM: key.pemRepresentation, certificatePEM: try certificate.serializeAsPEM().pemString)
    }
}
