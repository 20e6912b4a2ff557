import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// One key entry of a keystore: the private key and the certificate chain this node presents.
public struct KeystoreEntry: Sendable {
    public let alias: String
    public let privateKeyPEM: String
    public let certificateChainPEM: String
    /// Every key entry's alias in the keystore, for messages.
    public let aliases: [String]

    /// The leaf certificate, parsed.
    public func leafCertificate() throws -> Certificate {
        guard let first = Self.pemBlocks(certificateChainPEM).first else {
            throw KeystoreError(code: .noCertificate, path: "", message: "the entry has no certificate")
        }
        return try Certificate(pemEncoded: first)
    }

    /// SHA-256 over the leaf certificate's DER, as `ab:cd:…`; every node must present the same one.
    public func fingerprint() throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(leafCertificate())
        return SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    /// Refuses a certificate outside its validity period, naming the dates.
    public func checkValidity(path: String, now: Date = Date()) throws(KeystoreError) {
        let certificate: Certificate
        do {
            certificate = try leafCertificate()
        } catch {
            throw KeystoreError(code: .noCertificate, path: path, message: "the certificate of entry '\(alias)' cannot be parsed: \(error)")
        }
        let formatter = ISO8601DateFormatter()
        if certificate.notValidAfter < now {
            throw KeystoreError(code: .expired, path: path,
                                message: "the certificate of entry '\(alias)' (\(certificate.subject)) expired on \(formatter.string(from: certificate.notValidAfter)); renew it and replace the entry")
        }
        if certificate.notValidBefore > now.addingTimeInterval(300) {
            throw KeystoreError(code: .notYetValid, path: path,
                                message: "the certificate of entry '\(alias)' is not valid before \(formatter.string(from: certificate.notValidBefore)); check the certificate or this host's clock")
        }
    }

    /// A NIOSSL server configuration presenting this entry.
    public func serverTLSConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8)).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // After sending close_notify on shutdown, wait this long for the peer's: an idle
        // keep-alive client rarely answers, and the default (5 s) would stall every shutdown.
        configuration.shutdownTimeout = .milliseconds(500)
        return configuration
    }

    static func pemBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("-----BEGIN") { current = [line] } else if !current.isEmpty { current.append(line) }
            if line.hasPrefix("-----END"), !current.isEmpty {
                blocks.append(current.joined(separator: "\n"))
                current = []
            }
        }
        return blocks
    }
}
