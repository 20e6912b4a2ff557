import Foundation

/// Where a migration takes its data from: an existing appdata folder (taken whole), or an older
/// installation that keeps its data inside the install folder (a fixed list of paths).
public struct MigrationSource: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case appData = "appdata"
        case install
    }

    public let kind: Kind
    /// The folder as the operator named it, made absolute (symbolic links not resolved).
    public let path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = PathRules.absolute(path)
    }

    /// What an installation holds that belongs in appdata, at the same relative path in both.
    public static let installItems = [
        "var/plugins", "var/repository", "var/sa", "logs", "conf/server/notification-templates",
        "conf/encryption.keystore", "conf/server.keystore", "conf/collectors", "patches",
        "conf/server/log4j.properties", "conf/installed.version",
    ]

    /// Copied, and never deleted with the originals: the installation itself still needs them.
    public static let keptInstallItems: Set<String> = ["conf/installed.version"]

    /// The migration's own bookkeeping folder inside the destination (never data, never copied).
    public static let journalFolder = ".steward-migration"

    /// The paths to migrate, relative to `path`: every top-level entry of an appdata folder
    /// (sorted), or the installation's list.
    public func items() throws(MigrationError) -> [String] {
        switch kind {
        case .install:
            return Self.installItems
        case .appData:
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw MigrationError(.sourceMissing, "cannot list the appdata folder \(path): \(error.localizedDescription)")
            }
            return names.filter { $0 != Self.journalFolder && !Self.skippedNames.contains($0) }.sorted()
        }
    }

    /// Names at the root of an appdata folder that are never migrated: a file system's
    /// `lost+found` belongs to the file system, not to Steward (the destination has its own, or none).
    public static let skippedNames: Set<String> = ["lost+found"]

    /// The entries at the root of the source that `items()` leaves out, for the plan to report.
    public func skippedEntries() -> [String] {
        guard kind == .appData else { return [] }
        return Self.skippedNames.sorted().filter { TreeEntry.stat(PathRules.join(path, $0)) != nil }
    }

    /// True for what is copied but left in place when the originals are deleted.
    public func keepsOriginal(_ relative: String) -> Bool {
        kind == .install && Self.keptInstallItems.contains(relative)
    }

    /// The option that names this source on the command line, for messages.
    public var option: String { kind == .appData ? "--from-appdata" : "--from-install" }
}
