import Foundation

/// An enrolled agent as the API shows it.
public struct AgentInfo: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var hostname: String
    public var os: String
    public var architecture: String
    public var agentVersion: String
    public var tags: [String]
    /// online, offline or revoked.
    public var state: String
    public var certificateSerial: String
    public var certificateExpiresAt: Date
    public var lastSeen: Date?
    public var enrolledAt: Date
    public var enrolledBy: String
    public var revokedAt: Date?
    /// The node holding the agent's channel, while it is online.
    public var connectedNode: String?

    public init(id: UUID, name: String, hostname: String, os: String, architecture: String, agentVersion: String, tags: [String],
                state: String, certificateSerial: String, certificateExpiresAt: Date, lastSeen: Date?, enrolledAt: Date,
                enrolledBy: String, revokedAt: Date?, connectedNode: String? = nil) {
        self.id = id
        self.name = name
        self.hostname = hostname
        self.os = os
        self.architecture = architecture
        self.agentVersion = agentVersion
        self.tags = tags
        self.state = state
        self.certificateSerial = certificateSerial
        self.certificateExpiresAt = certificateExpiresAt
        self.lastSeen = lastSeen
        self.enrolledAt = enrolledAt
        self.enrolledBy = enrolledBy
        self.revokedAt = revokedAt
        self.connectedNode = connectedNode
    }
}

/// `POST /api/v1/agents/enrollment-tokens`.
public struct EnrollmentTokenRequest: Codable, Sendable {
    /// How long the token can be used, in seconds (60 s to 7 days; 1 hour when not given).
    public var ttlSeconds: Int?
    public init(ttlSeconds: Int? = nil) { self.ttlSeconds = ttlSeconds }
}

/// A one-time enrollment token: shown once, stored hashed, with the pin the agent checks the server against.
public struct EnrollmentToken: Codable, Sendable, Equatable {
    public var token: String
    public var expiresAt: Date
    /// `sha256:<hex>` of the cluster CA's public key.
    public var caPin: String

    public init(token: String, expiresAt: Date, caPin: String) {
        self.token = token
        self.expiresAt = expiresAt
        self.caPin = caPin
    }
}

/// `POST /api/v1/agents/enroll`: what a new agent sends. Its private key stays with it: only the
/// certificate request (PEM, P-256) travels.
public struct EnrollRequest: Codable, Sendable {
    public var token: String
    public var csr: String
    public var name: String
    public var hostname: String
    public var os: String
    public var architecture: String
    public var agentVersion: String
    public var tags: [String]?

    public init(token: String, csr: String, name: String, hostname: String, os: String, architecture: String,
                agentVersion: String, tags: [String]? = nil) {
        self.token = token
        self.csr = csr
        self.name = name
        self.hostname = hostname
        self.os = os
        self.architecture = architecture
        self.agentVersion = agentVersion
        self.tags = tags
    }
}

/// The answer to an enrollment: the agent's id, its client certificate, and the CA to trust.
public struct Enrollment: Codable, Sendable, Equatable {
    public var agent: AgentInfo
    public var certificatePEM: String
    public var caCertificatePEM: String
    public var caPin: String

    public init(agent: AgentInfo, certificatePEM: String, caCertificatePEM: String, caPin: String) {
        self.agent = agent
        self.certificatePEM = certificatePEM
        self.caCertificatePEM = caCertificatePEM
        self.caPin = caPin
    }
}
