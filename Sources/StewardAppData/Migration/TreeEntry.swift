import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A modification time with its nanoseconds, as `stat` reports it.
public struct FileTime: Sendable, Equatable, Codable, CustomStringConvertible {
    public let seconds: Int64
    public let nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    init(_ time: timespec) {
        self.init(seconds: Int64(time.tv_sec), nanoseconds: Int64(time.tv_nsec))
    }

    var timespec: Glibc.timespec { Glibc.timespec(tv_sec: Int(seconds), tv_nsec: Int(nanoseconds)) }

    public var description: String { "\(seconds).\(String(format: "%09lld", nanoseconds))" }

    /// Reads `description`'s form back.
    init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { Int64($0) }
        guard parts.count == 2 else { return nil }
        self.init(seconds: parts[0], nanoseconds: parts[1])
    }
}

/// What a verified copy looked like right after it was renamed into place: its inode and its
/// change time (`st_ctim`, which every write, truncation, `chmod` or `touch` moves to now and
/// nothing can set back). A later run trusts the copy without reading it again only while
/// both, its size and its modification time are unchanged; otherwise it hashes the copy.
public struct CopyStamp: Sendable, Equatable {
    public let inode: UInt64
    public let changed: FileTime

    public init(inode: UInt64, changed: FileTime) {
        self.inode = inode
        self.changed = changed
    }

    init(_ info: Glibc.stat) {
        self.init(inode: UInt64(info.st_ino), changed: FileTime(info.st_ctim))
    }

    /// True when `info` is this copy, untouched since it was stamped.
    func matches(_ info: Glibc.stat) -> Bool {
        UInt64(info.st_ino) == inode && FileTime(info.st_ctim) == changed
    }
}

/// One thing to create in the destination: a folder, a file or a symbolic link, with the
/// attributes it must have there. `relative` is the same under the source and the destination.
public struct TreeEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case directory, file, symlink
    }

    public let relative: String
    public let kind: Kind
    public let size: Int64
    /// Permission bits (including setuid, setgid and sticky).
    public let mode: UInt32
    public let owner: UInt32
    public let group: UInt32
    public let modified: FileTime
    /// For links: the target to write in the destination (an absolute target inside the source
    /// is rewritten to the same place in the destination).
    public let linkTarget: String?

    /// The attributes of `path` as `lstat` sees them; nil when it does not exist.
    static func stat(_ path: String) -> Glibc.stat? {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info
    }

    init(relative: String, kind: Kind, info: Glibc.stat, linkTarget: String? = nil) {
        self.relative = relative
        self.kind = kind
        self.size = kind == .file ? Int64(info.st_size) : 0
        self.mode = UInt32(info.st_mode) & 0o7777
        self.owner = info.st_uid
        self.group = info.st_gid
        self.modified = FileTime(info.st_mtim)
        self.linkTarget = linkTarget
    }

    static func kind(of info: Glibc.stat) -> Kind? {
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        case S_IFLNK: return .symlink
        default: return nil
        }
    }

    /// What `readlink` returns for `path`, or nil.
    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(validating: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
