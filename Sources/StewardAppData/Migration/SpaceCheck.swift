import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the destination's file system offers against what the migration will write, from
/// `statvfs` on the destination (or the nearest folder above it that exists).
public struct SpaceEstimate: Sendable, Codable, Equatable {
    /// The folder that was measured.
    public let measured: String
    public let neededBytes: Int64
    public let availableBytes: Int64
    public let neededInodes: Int64
    /// nil when the file system does not count inodes (some network file systems).
    public let availableInodes: Int64?
    public let readOnly: Bool
    /// False when this user may not create files there (permissions, not the mount).
    public let writable: Bool

    public var isEnough: Bool {
        neededBytes <= availableBytes && (availableInodes.map { neededInodes <= $0 } ?? true)
    }
}

enum SpaceCheck {
    /// Measures the destination for writing `pending` (entries not yet verified in place).
    /// Each file takes its size rounded up to whole blocks; a file rewritten over an unverified
    /// earlier copy needs room for both until the rename, so the largest such copy is added.
    static func measure(destination: String, pending: [TreeEntry]) -> SpaceEstimate? {
        let measured = PathRules.nearestExisting(destination)
        var info = statvfs()
        guard statvfs(measured, &info) == 0 else { return nil }
        let block = Int64(max(info.f_frsize, 512))
        func blocks(_ bytes: Int64) -> Int64 { (bytes + block - 1) / block * block }
        var needed: Int64 = 0
        var largestOverwrite: Int64 = 0
        var journal: Int64 = 512
        for entry in pending {
            switch entry.kind {
            case .file:
                needed += blocks(entry.size)
                if let existing = TreeEntry.stat(PathRules.join(destination, entry.relative)), existing.st_mode & S_IFMT == S_IFREG {
                    largestOverwrite = max(largestOverwrite, blocks(Int64(existing.st_size)))
                }
            case .directory: needed += block
            case .symlink: break
            }
            journal += Int64(entry.relative.utf8.count) + 120
        }
        // The journal, the layout folders, and the temporary copy of the largest rewritten file.
        needed += blocks(journal) + largestOverwrite + block * Int64(AppDataLayout.requiredFolders.count + AppDataLayout.optionalFolders.count + 2)
        let inodes = Int64(pending.count) + 16
        return SpaceEstimate(
            measured: measured,
            neededBytes: needed,
            availableBytes: Int64(info.f_bavail) * Int64(info.f_frsize),
            neededInodes: inodes,
            availableInodes: info.f_files > 0 ? Int64(info.f_favail) : nil,
            readOnly: info.f_flag & UInt(ST_RDONLY) != 0,
            writable: access(measured, W_OK) == 0)
    }
}

/// Sizes for people, in powers of 1024: `1.5 GB`, `300.0 MB`, `12.0 KB`, `900 B`.
public enum ByteCount {
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
