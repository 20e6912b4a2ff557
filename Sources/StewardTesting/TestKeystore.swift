import Foundation
import StewardKeystore

/// Keystores for tests: one or more entries, each a fresh self-signed certificate.
public enum TestKeystore {
    public struct EntrySpec: Sendable {
        public let alias: String
        public let commonName: String
        public let validFrom: Date
        public let validity: TimeInterval
        /// The names the certificate is good for (a client checks the URL's host against them).
        public let dnsNames: [String]
        public let ipAddresses: [String]

        public init(alias: String, commonName: String? = nil, validFrom: Date = Date().addingTimeInterval(-3600), validity: TimeInterval = 86400 * 30,
                    dnsNames: [String] = ["localhost"], ipAddresses: [String] = ["127.0.0.1"]) {
            self.alias = alias
            self.commonName = commonName ?? alias
            self.validFrom = validFrom
            self.validity = validity
            self.dnsNames = dnsNames
            self.ipAddresses = ipAddresses
        }
    }

    /// Writes a keystore with `entries` to `path`; returns each alias's CA certificate PEM (to trust it).
    @discardableResult
    public static func write(path: String, password: String, entries: [EntrySpec]) throws -> [String: String] {
        var certificates: [String: String] = [:]
        let newEntries = try entries.map { spec -> Keystore.NewEntry in
            let material = try SelfSignedCertificate.generate(
                commonName: spec.commonName, dnsNames: spec.dnsNames, ipAddresses: spec.ipAddresses,
                validFrom: spec.validFrom, validity: spec.validity)
            certificates[spec.alias] = material.caCertificatePEM
            return Keystore.NewEntry(alias: spec.alias, privateKeyPEM: material.privateKeyPEM, certificateChainPEM: material.chainPEM)
        }
        try Keystore.create(entries: newEntries, password: password).write(to: URL(fileURLWithPath: path))
        return certificates
    }
}
