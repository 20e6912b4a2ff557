import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` that a running node holds on `logs/<node>/server.lock` for its lifetime.
/// A second process for the same node name refuses to start, and the appdata migration refuses
/// to move a folder a node is using. The kernel drops the lock when the process dies, however it dies.
public final class NodeLock: Sendable {
    public static let fileName = "server.lock"
    let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    public static func acquire(folder: String, owner: String) throws(AppDataError) -> NodeLock {
        let path = folder + "/" + fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AppDataError(.notWritable, path: path, detail: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw AppDataError(.locked, path: path,
                               detail: "another steward-server (\(holder.isEmpty ? "unknown process" : holder)) is running with this node name and appdata (lock \(path)); stop it or give this node another server.node.name")
        }
        let text = "\(owner) pid \(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        return NodeLock(descriptor: descriptor, path: path)
    }

    /// True when some process holds the lock at `path` right now.
    public static func isHeld(path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    deinit { close(descriptor) }
}
