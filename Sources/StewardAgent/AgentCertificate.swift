import Crypto
import Foundation
import NIOSSL
import StewardAppData
import X509

/// The agent's key and certificate on disk, and their renewal. A renewal writes the new key, then
/// the new certificate, each beside the current one, then renames the key and the certificate into
/// place; a crash in between is finished at the next start. The node keeps accepting the old
/// certificate until the agent connects with the new one, so a renewal cut short never locks it out.
struct AgentCertificate: Sendable {
    let folder: AgentStateFolder

    /// Finishes a renewal a crash interrupted: a next certificate means the node answered.
    func recover() throws {
        let files = FileManager.default
        if files.fileExists(atPath: folder.nextCertificateFile) {
            if files.fileExists(atPath: folder.nextKeyFile) { try rename(folder.nextKeyFile, folder.keyFile) }
            try rename(folder.nextCertificateFile, folder.certificateFile)
        } else if files.fileExists(atPath: folder.nextKeyFile) {
            try files.removeItem(atPath: folder.nextKeyFile)
        }
    }

    /// The TLS client configuration for the channel, from the files as they are now.
    func tls() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(folder.certificateFile).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: folder.keyFile, format: .pem))
        tls.trustRoots = .file(folder.caFile)
        // The cluster CA issues server certificates to nodes only: any node (or the load balancer
        // passing through to one) is the right server, whatever name the URL uses.
        tls.certificateVerification = .noHostnameVerification
        return tls
    }

    func expiry() throws -> Date {
        try Certificate(pemEncoded: String(contentsOfFile: folder.certificateFile, encoding: .utf8)).notValidAfter
    }

    /// A new key (kept beside the current one) and its certificate request.
    func renewalRequest(name: String) throws -> String {
        let key = P256.Signing.PrivateKey()
        try AtomicFile.write(key.pemRepresentation, to: folder.nextKeyFile, permissions: 0o600)
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName(name) }, privateKey: .init(key),
                                                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
        return try csr.serializeAsPEM().pemString
    }

    /// Puts the renewed certificate in place, after checking it is for the new key.
    func install(_ pem: String) throws -> Date {
        let certificate = try Certificate(pemEncoded: pem)
        let key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: folder.nextKeyFile, encoding: .utf8))
        guard P256.Signing.PublicKey(certificate.publicKey)?.rawRepresentation == key.publicKey.rawRepresentation else {
            throw AgentError("the renewed certificate is not for the key this agent made; keeping the current one")
        }
        try AtomicFile.write(pem, to: folder.nextCertificateFile, permissions: 0o600)
        try recover()
        return certificate.notValidAfter
    }

    private func rename(_ from: String, _ to: String) throws {
        guard Foundation.rename(from, to) == 0 else { throw AgentError("cannot move \(from) to \(to): \(String(cString: strerror(errno)))") }
        try AtomicFile.syncDirectory(folder.path)
    }
}
