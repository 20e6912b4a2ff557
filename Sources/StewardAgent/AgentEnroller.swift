import Crypto
import Foundation
import StewardClient
import StewardKeys
import StewardModel
import X509

/// `steward-agent enroll`: makes the agent's key pair here (the private key never leaves this
/// host), fetches the cluster CA from the agent port and checks it against the pin given with the
/// token, then sends a certificate request over TLS verified by that CA alone, and keeps what
/// comes back. Nothing is sent before the server has proved it belongs to the pinned CA.
public struct AgentEnroller: Sendable {
    public var server: String
    public var token: String
    public var caPin: String?
    /// Instead of a pin: a copy of the cluster's `conf/cluster-ca.pem`.
    public var caFile: String?
    public var name: String
    public var tags: [String]
    public var folder: AgentStateFolder

    public init(server: String, token: String, caPin: String?, caFile: String?, name: String, tags: [String], folder: AgentStateFolder) {
        self.server = server
        self.token = token
        self.caPin = caPin
        self.caFile = caFile
        self.name = name
        self.tags = tags
        self.folder = folder
    }

    public func enroll() async throws -> AgentStateFolder.Identity {
        guard let channelURL = AgentConfiguration.channelURL(server) else {
            throw AgentError("--server: '\(server)' is not the agent port's address, such as https://steward.example.com:7919")
        }
        let base = AgentConfiguration.httpsBase(channelURL)
        if folder.isEnrolled, let identity = try folder.identity() {
            throw AgentError("this agent is enrolled already, as \(identity.name) (\(identity.agentID.uuidString.lowercased())); to enroll again, use another agent.state.dir or remove \(folder.path)")
        }
        try folder.create()
        let ca = try await trustedAuthority(base: base)
        try folder.writeSecret(ca.pem, to: folder.caFile)
        let key = P256.Signing.PrivateKey()
        try folder.writeSecret(key.pemRepresentation, to: folder.keyFile)
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName(name) }, privateKey: .init(key),
                                                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
        let request = EnrollRequest(token: token, csr: try csr.serializeAsPEM().pemString, name: name, hostname: ProcessInfo.processInfo.hostName,
                                    os: Self.operatingSystem, architecture: Self.architecture, agentVersion: AgentRunner.version, tags: tags)
        let enrollment: Enrollment
        do {
            enrollment = try await StewardClient(baseURL: base, trust: .clusterCA(folder.caFile)).enroll(request)
        } catch let refused as ClientError {
            throw AgentError("enrollment refused: \(refused.message)")
        }
        guard enrollment.caPin == ca.pin else {
            throw AgentError("the node signed with a CA (\(enrollment.caPin)) other than the pinned one (\(ca.pin)); nothing kept")
        }
        try folder.writeSecret(enrollment.certificatePEM, to: folder.certificateFile)
        let identity = AgentStateFolder.Identity(agentID: enrollment.agent.id, name: enrollment.agent.name, caPin: ca.pin, enrolledAt: Date(),
                                                 enrolledThrough: channelURL)
        try folder.save(identity)
        return identity
    }

    /// The cluster CA, from `--ca-file` or from the node and matching `--ca-pin`.
    func trustedAuthority(base: String) async throws -> (pem: String, pin: String) {
        if let caFile {
            guard let pem = try? String(contentsOfFile: caFile, encoding: .utf8) else { throw AgentError("--ca-file: cannot read \(caFile)") }
            let certificates = try Self.certificates(pem)
            guard let first = certificates.first else { throw AgentError("--ca-file: \(caFile) holds no certificate") }
            if let caPin, !certificates.contains(where: { $0.pin == caPin }) { throw AgentError("--ca-file: no certificate in \(caFile) has pin \(caPin)") }
            return (certificates.map(\.pem).joined(), caPin ?? first.pin)
        }
        guard let caPin else {
            throw AgentError("give --ca-pin (shown with the enrollment token, and by `stewardctl ca`) or --ca-file (the cluster's conf/cluster-ca.pem)")
        }
        guard caPin.hasPrefix("sha256:"), caPin.count == 71 else { throw AgentError("--ca-pin: sha256: and 64 hex digits") }
        // Read without verification: what comes back is trusted only if its key matches the pin.
        let answer = try await StewardClient(baseURL: base, trust: .insecure).raw(.GET, "/agent/ca")
        guard answer.status == 200 else { throw AgentError("\(base)/agent/ca answered \(answer.status): is this a Steward node's agent port?") }
        guard let match = try Self.certificates(answer.text).first(where: { $0.pin == caPin.lowercased() }) else {
            throw AgentError("the server at \(base) does not hold the pinned cluster CA \(caPin): refusing to send it the token")
        }
        return (match.pem, match.pin)
    }

    static func certificates(_ pem: String) throws -> [(pem: String, pin: String)] {
        let end = "-----END CERTIFICATE-----"
        return try pem.components(separatedBy: end).dropLast().map { part in
            let text = part.trimmingCharacters(in: .whitespacesAndNewlines) + "\n" + end + "\n"
            return (text, try AuthorityDetails.read(text).pin)
        }
    }

    static var operatingSystem: String {
        #if os(Linux)
        "linux"
        #elseif os(macOS)
        "macos"
        #else
        "unknown"
        #endif
    }

    static var architecture: String {
        #if arch(x86_64)
        "x86_64"
        #elseif arch(arm64)
        "arm64"
        #else
        "unknown"
        #endif
    }
}
