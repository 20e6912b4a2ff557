import Foundation
import StewardAppData

/// What `stewardctl login` remembers: the server, how to trust it, the API token, and the device
/// tokens earlier logins returned (by server and user), which keep this machine able to log in while
/// others are locked out by a flood of wrong guesses.
/// Kept in `$STEWARD_CONFIG` or `~/.config/steward/stewardctl.json`, mode 0600 (it holds a token).
struct ClientConfigFile: Codable {
    var url: String?
    var token: String?
    var caFile: String?
    var insecure: Bool?
    /// "user@url" → device token.
    var devices: [String: String]?

    static func deviceKey(user: String, url: String) -> String { user.lowercased() + "@" + url }

    static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["STEWARD_CONFIG"], !explicit.isEmpty { return explicit }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/steward/stewardctl.json"
    }

    static func load() -> ClientConfigFile {
        guard let data = FileManager.default.contents(atPath: path),
              let config = try? JSONDecoder().decode(ClientConfigFile.self, from: data) else { return ClientConfigFile() }
        return config
    }

    func save() throws {
        let folder = (Self.path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: Self.path, permissions: 0o600)
    }
}
