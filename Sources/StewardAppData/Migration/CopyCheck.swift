import Foundation

/// Compares a copy in the destination with what the journal recorded for it.
///
/// Once a node runs on the migrated appdata it appends to its log files and rewrites its lock
/// file, so those are allowed to differ in exactly that way: a log may have grown (its first
/// bytes still hash to the recorded SHA-256), a `server.lock` may hold another pid. Every other
/// file must match byte for byte. (A log the node has rotated no longer matches at all: `verify`
/// and `--delete-originals` then accept it when its original still holds the migrated bytes.)
public enum CopyCheck {
    public enum Tolerance: Sendable, Equatable {
        case exact, appendOnly, ignored
    }

    public enum State: Sendable, Equatable {
        case matches
        /// A log that a node has appended to since; the migrated bytes are intact.
        case grown
        case missing
        case notAFile
        case changed(sha256: String)
    }

    public static func tolerance(for relative: String) -> Tolerance {
        guard relative.hasPrefix("logs/") else { return .exact }
        return PathRules.name(relative) == NodeLock.fileName ? .ignored : .appendOnly
    }

    public static func check(root: String, _ record: JournalRecord.File) throws(MigrationError) -> State {
        let path = PathRules.join(root, record.relative)
        guard let info = TreeEntry.stat(path) else { return .missing }
        guard TreeEntry.kind(of: info) == .file else { return .notAFile }
        let tolerance = tolerance(for: record.relative)
        if tolerance == .ignored { return .matches }
        let size = Int64(info.st_size)
        if size == record.size {
            let sha256 = try FileDigest.sha256(path: path)
            return sha256 == record.sha256 ? .matches : .changed(sha256: sha256)
        }
        if size > record.size, tolerance == .appendOnly {
            let prefix = try FileDigest.sha256(path: path, limit: record.size)
            return prefix == record.sha256 ? .grown : .changed(sha256: prefix)
        }
        return .changed(sha256: "size \(size), expected \(record.size)")
    }

    /// A node's log: under `logs/`, not a lock file. A node running on the new folder appends to
    /// it, and rotates it (`server.log` → `server.log.1` → …, then a new `server.log`) or removes
    /// old ones, so its copy may later differ or be gone; only its original is then compared.
    public static func isNodeLog(_ relative: String) -> Bool { tolerance(for: relative) == .appendOnly }
}
