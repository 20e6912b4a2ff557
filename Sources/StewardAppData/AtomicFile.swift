import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes that other nodes (and a crash) never see half-done: temp file, fsync, rename, fsync folder.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, permissions: mode_t = 0o644) throws(FileSystemError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else { throw FileSystemError(operation: "create", path: temporary) }
        // Closed exactly once: a second close could hit a descriptor another thread has been given since.
        var open = true
        do throws(FileSystemError) {
            try writeAll(descriptor, data, path: temporary)
            guard fsync(descriptor) == 0 else { throw FileSystemError(operation: "fsync", path: temporary) }
            open = false
            guard close(descriptor) == 0 else { throw FileSystemError(operation: "close", path: temporary) }
            guard rename(temporary, path) == 0 else { throw FileSystemError(operation: "rename into place", path: path) }
            try syncDirectory(directory)
        } catch {
            if open { close(descriptor) }
            unlink(temporary)
            throw error
        }
    }

    public static func write(_ text: String, to path: String, permissions: mode_t = 0o644) throws(FileSystemError) {
        try write(Data(text.utf8), to: path, permissions: permissions)
    }

    static func writeAll(_ descriptor: Int32, _ data: Data, path: String) throws(FileSystemError) {
        if let failure = data.withUnsafeBytes({ FileWriting.writeAll(descriptor, $0) }) {
            throw FileSystemError(operation: "write", path: path, code: failure)
        }
    }

    /// Makes a rename durable: the directory entry itself must reach the disk.
    public static func syncDirectory(_ path: String) throws(FileSystemError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(operation: "open folder", path: path) }
        defer { close(descriptor) }
        // Some network filesystems refuse fsync on a directory; the rename is still atomic there.
        if fsync(descriptor) != 0, errno != EINVAL, errno != EROFS {
            throw FileSystemError(operation: "fsync folder", path: path)
        }
    }
}

/// A failed system call on a file, with errno's text captured when it happened.
public struct FileSystemError: Error, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32
    public let reason: String

    public init(operation: String, path: String, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
        self.reason = String(cString: strerror(code))
    }

    public var description: String { "cannot \(operation) \(path): \(reason)" }
}
