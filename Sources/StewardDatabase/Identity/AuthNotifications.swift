import Foundation
import Logging
import PostgresNIO
import StewardModel

/// Credentials that stopped being good (a logout, a revoked token, a disabled user, a new password),
/// announced with NOTIFY in the transaction that made the change: every node's credential cache
/// hears it the moment the change commits, and not before.
public enum AuthRevocation: Sendable, Equatable {
    case token(hash: [UInt8])
    case session(hash: [UInt8])
    case user(UserID)

    public static let channel = "steward_auth"

    public var payload: String {
        switch self {
        case .token(let hash): return "token:" + Self.hex(hash)
        case .session(let hash): return "session:" + Self.hex(hash)
        case .user(let id): return "user:" + id.description
        }
    }

    public init?(payload: String) {
        let parts = payload.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "token": guard let hash = Self.bytes(parts[1]) else { return nil }; self = .token(hash: hash)
        case "session": guard let hash = Self.bytes(parts[1]) else { return nil }; self = .session(hash: hash)
        case "user": guard let uuid = UUID(uuidString: parts[1]) else { return nil }; self = .user(UserID(uuid))
        default: return nil
        }
    }

    /// Announces the revocation when the caller's transaction commits.
    public func notify(on runner: some QueryRunner, logger: Logger) async throws {
        try await runner.run("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(_ hex: String) -> [UInt8]? {
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}

/// The encryption keystore changed (a rotation, a reseal): every node reads it again from appdata.
public enum KeystoreChanged {
    public static let channel = "steward_keys"

    public static func notify(on runner: some QueryRunner, logger: Logger) async throws {
        try await runner.run("SELECT pg_notify(\(channel), 'reload')", logger: logger)
    }
}
