import Foundation
import Logging
import StewardAppData
import StewardJobs
import Synchronization

/// Per-node housekeeping: local jobs, each run by the node it was enqueued for (each-node
/// schedules enqueue one per online node).

/// Measures this node's log folder and warns past `logs.folder.warn.size`.
struct LogFolderSize: JobKind {
    struct Arguments: Codable, Sendable {}
    struct Output: Codable, Sendable, Equatable {
        var folder: String
        var bytes: Int64
        var files: Int
        var overLimit: Bool
    }

    static let name = "local.log-folder-size"
    static let scope: JobScope = .local
    static let timeout: Duration = .seconds(120)

    let folder: String

    func run(_ arguments: Arguments, context: JobContext) async throws -> Output {
        let folder = self.folder
        let (bytes, files) = try await BlockingIO.run { try FolderSize.measure(folder) }
        let limit = Int64(context.settings.logFolderWarnMebibytes) * 1024 * 1024
        if bytes > limit {
            context.logger.warning("the log folder \(folder) holds \(bytes / 1_048_576) MiB in \(files) files, more than logs.folder.warn.size (\(context.settings.logFolderWarnMebibytes) MiB); lower the log level or keep fewer rotated files in log4j.properties")
        }
        return Output(folder: folder, bytes: bytes, files: files, overLimit: bytes > limit)
    }
}

/// Deletes files in this node's `server.temp.dir` not modified for a while.
struct TemporaryFileSweep: JobKind {
    struct Arguments: Codable, Sendable {
        var olderThanHours: Double?
    }

    struct Output: Codable, Sendable, Equatable {
        var folder: String
        var deleted: Int
        var bytes: Int64
    }

    static let name = "local.temp-sweep"
    static let scope: JobScope = .local
    static let timeout: Duration = .seconds(600)

    let folder: String

    func run(_ arguments: Arguments, context: JobContext) async throws -> Output {
        let folder = self.folder
        let cutoff = Date().addingTimeInterval(-(arguments.olderThanHours ?? 24) * 3600)
        let (deleted, bytes) = try await BlockingIO.run { try FolderSize.sweep(folder, modifiedBefore: cutoff) }
        if deleted > 0 { context.logger.info("temp sweep: deleted \(deleted) files (\(bytes) bytes) from \(folder)") }
        return Output(folder: folder, deleted: deleted, bytes: bytes)
    }
}

/// Empties this node's in-memory caches (credentials, the node list), for instance after a
/// database restore; the caches fill again from the database.
struct ClearCaches: JobKind {
    struct Arguments: Codable, Sendable {}
    struct Output: Codable, Sendable, Equatable {
        var cleared: [String: Int]
    }

    static let name = "local.clear-caches"
    static let scope: JobScope = .local
    static let timeout: Duration = .seconds(30)

    let caches: ClearableCaches

    func run(_ arguments: Arguments, context: JobContext) async throws -> Output {
        let cleared = caches.clearAll()
        context.logger.notice("caches cleared: \(cleared.map { "\($0.key) (\($0.value) entries)" }.sorted().joined(separator: ", "))")
        return Output(cleared: cleared)
    }
}

/// The node's caches by name; each clears itself and says how many entries it had.
final class ClearableCaches: Sendable {
    private let caches = Mutex<[String: @Sendable () -> Int]>([:])

    func add(_ name: String, _ clear: @escaping @Sendable () -> Int) {
        caches.withLock { $0[name] = clear }
    }

    func clearAll() -> [String: Int] {
        caches.withLock { $0 }.mapValues { $0() }
    }
}

enum FolderSize {
    static func measure(_ folder: String) throws -> (bytes: Int64, files: Int) {
        var bytes: Int64 = 0, files = 0
        for (_, values) in regularFiles(in: folder, keys: [.fileSizeKey]) {
            bytes += Int64(values.fileSize ?? 0)
            files += 1
        }
        return (bytes, files)
    }

    /// Deletes regular files modified before `cutoff`; empty folders are left.
    static func sweep(_ folder: String, modifiedBefore cutoff: Date) throws -> (deleted: Int, bytes: Int64) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var deleted = 0, bytes: Int64 = 0
        for (url, values) in regularFiles(in: folder, keys: [.fileSizeKey, .contentModificationDateKey]) {
            guard let modified = values.contentModificationDate, modified < cutoff else { continue }
            try FileManager.default.removeItem(at: url)
            deleted += 1
            bytes += Int64(values.fileSize ?? 0)
        }
        return (deleted, bytes)
    }

    /// The regular files under `folder` with the resource values asked for. A file that goes away
    /// while the walk is under way (rotated, swept) is simply not listed.
    static func regularFiles(in folder: String, keys: Set<URLResourceKey>) -> [(URL, URLResourceValues)] {
        let keys = keys.union([.isRegularFileKey])
        guard let walker = FileManager.default.enumerator(at: URL(fileURLWithPath: folder), includingPropertiesForKeys: Array(keys)) else { return [] }
        var files: [(URL, URLResourceValues)] = []
        for case let url as URL in walker {
            guard let values = try? url.resourceValues(forKeys: keys), values.isRegularFile == true else { continue }
            files.append((url, values))
        }
        return files
    }
}
