import Foundation

/// A folder under the system temp directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "steward-test") throws {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else { throw HarnessError("cannot create a temporary folder: \(String(cString: strerror(errno)))") }
        path = URL(fileURLWithPath: String(cString: result)).standardizedFileURL.path
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func write(_ name: String, _ text: String, permissions: Int = 0o644) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        chmod(target, mode_t(permissions))
        return target
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A failure of the harness itself (PostgreSQL would not start, a binary is missing).
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A master key file's content, as `stewardctl keys new-master-key` writes it (32 random bytes, base64).
public enum MasterKeyText {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64EncodedString() + "\n"
    }
}
