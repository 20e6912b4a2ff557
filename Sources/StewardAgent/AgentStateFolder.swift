import Foundation
import StewardAppData

/// The agent's own folder (0700; every file 0600): its key, certificate and the cluster CA it
/// pinned, who it is, and its record of commands, which makes each command run once across restarts:
/// - `executed.log`: one command id per line, written (and synced) before the program starts;
/// - `results/ID.json`: a finished command's result and output, until the node acknowledges it;
/// - `status.json`: where it is connected, for `steward-agent status`.
public struct AgentStateFolder: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var keyFile: String { path + "/agent.key" }
    public var certificateFile: String { path + "/agent.crt" }
    public var caFile: String { path + "/ca.pem" }
    /// A renewal's key and certificate, until both are in place (see `AgentCertificate`).
    var nextKeyFile: String { path + "/agent.next.key" }
    var nextCertificateFile: String { path + "/agent.next.crt" }
    var identityFile: String { path + "/identity.json" }
    var executedLog: String { path + "/executed.log" }
    var resultsFolder: String { path + "/results" }
    var statusFile: String { path + "/status.json" }
    var nodesFile: String { path + "/nodes.json" }

    /// Who the agent is, from its enrollment.
    public struct Identity: Codable, Sendable, Equatable {
        public var agentID: UUID
        public var name: String
        public var caPin: String
        public var enrolledAt: Date
        /// The agent port it enrolled through: a first place to connect.
        public var enrolledThrough: String
    }

    /// What the running agent last knew of its connection.
    public struct Status: Codable, Sendable, Equatable {
        public var connectedTo: String?
        public var nodeName: String?
        public var connectedSince: Date?
        public var lastContact: Date?
        public var lastError: String?
        public var pid: Int32
    }

    public func create() throws {
        try FileManager.default.createDirectory(atPath: resultsFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
    }

    public var isEnrolled: Bool { FileManager.default.fileExists(atPath: identityFile) }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    func write(_ value: some Encodable, to file: String) throws {
        try AtomicFile.write(try Self.encoder.encode(value), to: file, permissions: 0o600)
    }

    func read<T: Decodable>(_ type: T.Type, from file: String) throws -> T? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try Self.decoder.decode(T.self, from: data)
    }

    public func identity() throws -> Identity? { try read(Identity.self, from: identityFile) }
    public func save(_ identity: Identity) throws { try write(identity, to: identityFile) }
    public func status() throws -> Status? { try read(Status.self, from: statusFile) }
    func save(_ status: Status) throws { try write(status, to: statusFile) }
    func knownNodes() -> [String] { (try? read([String].self, from: nodesFile)) ?? [] }
    func saveKnownNodes(_ urls: [String]) throws { try write(urls, to: nodesFile) }

    public func writeSecret(_ text: String, to file: String) throws {
        try AtomicFile.write(text, to: file, permissions: 0o600)
    }
}
