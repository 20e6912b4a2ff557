import Crypto
import Foundation
import NIOSSL
import StewardClient
import StewardModel
import X509

/// An enrolled agent's credentials held in the test process: for probing the agent port with a
/// real client certificate without running a `steward-agent`.
public struct TestAgentIdentity: Sendable {
    public let agentID: UUID
    public let certificatePEM: String
    public let keyPEM: String
    public let caPEM: String

    public init(agentID: UUID, certificatePEM: String, keyPEM: String, caPEM: String) {
        self.agentID = agentID
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
        self.caPEM = caPEM
    }

    /// Enrolls a new agent through `client`'s node with a fresh token.
    public static func enroll(admin: StewardClient, name: String, tags: [String] = []) async throws -> TestAgentIdentity {
        let token = try await admin.createEnrollmentToken()
        let key = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName(name) }, privateKey: .init(key),
                                                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
        let enrollment = try await admin.enroll(EnrollRequest(
            token: token.token, csr: try csr.serializeAsPEM().pemString, name: name, hostname: "\(name).example.test", os: "linux",
            architecture: "x86_64", agentVersion: "0.1.0", tags: tags))
        return TestAgentIdentity(agentID: enrollment.agent.id, certificatePEM: enrollment.certificatePEM, keyPEM: key.pemRepresentation,
                                 caPEM: enrollment.caCertificatePEM)
    }

    /// A client TLS configuration presenting this agent's certificate and trusting the cluster CA.
    public var tls: TLSConfiguration {
        get throws {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
            tls.certificateVerification = .noHostnameVerification
            return tls
        }
    }

    /// The agent's hello, as the channel's first message.
    public var hello: String {
        #"{"body":{"agentID":"\#(agentID.uuidString)","agentVersion":"0.1.0"},"type":"hello","v":1}"#
    }
}
