import Foundation

/// A secret as the API shows it: everything but the value, which is never shown.
public struct SecretInfo: Codable, Sendable, Equatable {
    public let name: String
    /// How many times it has been set.
    public let revision: Int
    /// The data key version its value is encrypted with.
    public let keyVersion: Int
    public let createdAt: Date
    public let createdBy: String
    public let updatedAt: Date
    public let updatedBy: String

    public init(name: String, revision: Int, keyVersion: Int, createdAt: Date, createdBy: String, updatedAt: Date, updatedBy: String) {
        self.name = name
        self.revision = revision
        self.keyVersion = keyVersion
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// `PUT /api/v1/secrets/{name}`, and `POST /api/v1/secrets/{name}/verify`.
public struct SecretValue: Codable, Sendable {
    public let value: String
    public init(value: String) { self.value = value }
}

/// The answer to a verify: whether the candidate is the stored value. The value itself never leaves the node.
public struct SecretMatch: Codable, Sendable, Equatable {
    public let matches: Bool
    public init(matches: Bool) { self.matches = matches }
}

/// `GET /api/v1/keys`: the data keys and how many secrets each encrypts.
public struct KeysStatus: Codable, Sendable, Equatable {
    public struct Version: Codable, Sendable, Equatable {
        public let version: Int
        public let active: Bool
        public let secrets: Int
        public init(version: Int, active: Bool, secrets: Int) {
            self.version = version
            self.active = active
            self.secrets = secrets
        }
    }

    public let keystoreID: UUID
    public let activeVersion: Int
    public let versions: [Version]
    /// Secrets not yet re-encrypted with the active key (a rotation is unfinished while this is above 0).
    public let remaining: Int
    public let masterKeyFingerprint: String

    public init(keystoreID: UUID, activeVersion: Int, versions: [Version], remaining: Int, masterKeyFingerprint: String) {
        self.keystoreID = keystoreID
        self.activeVersion = activeVersion
        self.versions = versions
        self.remaining = remaining
        self.masterKeyFingerprint = masterKeyFingerprint
    }
}

/// A step of `stewardctl keys rotate`: what was done and what is left.
public struct RotationProgress: Codable, Sendable, Equatable {
    public let activeVersion: Int
    public let reencrypted: Int
    public let remaining: Int
    /// Data key versions no secret uses any more, taken out of the keystore.
    public let retiredVersions: [Int]
    public init(activeVersion: Int, reencrypted: Int, remaining: Int, retiredVersions: [Int]) {
        self.activeVersion = activeVersion
        self.reencrypted = reencrypted
        self.remaining = remaining
        self.retiredVersions = retiredVersions
    }
}

/// `GET /api/v1/ca`: the cluster CA agents trust, and its pin.
public struct AuthorityInfo: Codable, Sendable, Equatable {
    public let serial: String
    public let state: String
    public let certificatePEM: String
    /// `sha256:<hex>` of the CA's public key: what `steward-agent enroll --ca-pin` checks.
    public let pin: String
    public let notAfter: Date

    public init(serial: String, state: String, certificatePEM: String, pin: String, notAfter: Date) {
        self.serial = serial
        self.state = state
        self.certificatePEM = certificatePEM
        self.pin = pin
        self.notAfter = notAfter
    }
}
