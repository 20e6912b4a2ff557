import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds Steward servers that still use a folder: a running node holds an exclusive `flock` on
/// `logs/<node>/server.lock` (see `NodeLock`), which the kernel drops however the node ends.
///
/// The migration only ever takes a *shared* lock, on a read-only descriptor: that conflicts with
/// a node's exclusive lock (so neither can start while the other holds it) and works where
/// `flock` is emulated with `fcntl` (NFS), which refuses an exclusive lock on a read-only
/// descriptor (EBADF). Only EWOULDBLOCK means "a server holds it"; any other failure is an error
/// that names the file, never taken for a running server nor ignored.
enum RunningNodeCheck {
    /// `flock(2)`, replaceable in tests to produce the errors a network file system gives.
    typealias Locker = @Sendable (_ descriptor: Int32, _ operation: Int32) -> Int32
    static let systemLocker: Locker = { flock($0, $1) }

    /// What trying the shared lock found.
    enum Probe: Equatable {
        /// Taken; the descriptor now holds the shared lock.
        case taken(Int32)
        /// The file went away since it was listed: nobody holds it.
        case gone
        /// A running server holds it.
        case held
        case failed(MigrationError)
    }

    /// The lock files under `root/logs/*/server.lock`.
    static func lockFiles(root: String) -> [String] {
        let logs = root + "/logs"
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        return nodes.sorted().map { "\(logs)/\($0)/\(NodeLock.fileName)" }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Opens `path` read-only and tries a shared, non-blocking lock on it.
    static func probe(_ path: String, locker: Locker = systemLocker) -> Probe {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return .gone }
            return .failed(.io("open the lock file", path, errno: errno))
        }
        if locker(descriptor, LOCK_SH | LOCK_NB) == 0 { return .taken(descriptor) }
        let code = errno
        close(descriptor)
        if code == EWOULDBLOCK { return .held }
        return .failed(MigrationError(.lockCheckFailed,
            "cannot take a shared lock on \(path): \(String(cString: strerror(code))); without it the migration cannot tell whether a Steward server uses this data. Check that the storage supports locks (for NFS: the lock service), then run the command again"))
    }

    /// The refusals for the lock files under `roots`: held by a running server, or not checkable.
    static func refusals(roots: [String], locker: Locker = systemLocker) -> [MigrationError] {
        var held: [String] = []
        var failures: [MigrationError] = []
        for path in roots.flatMap(lockFiles(root:)) {
            switch probe(path, locker: locker) {
            case .taken(let descriptor): close(descriptor)
            case .gone: break
            case .held: held.append(path)
            case .failed(let error): failures.append(error)
            }
        }
        return (held.isEmpty ? [] : [refusal(held)]) + failures
    }

    static func refusal(_ held: [String]) -> MigrationError {
        let nodes = held.map { PathRules.name(PathRules.parent($0)) }
        return MigrationError(.serverRunning,
            "a Steward server is still running on this data (node \(nodes.joined(separator: ", ")); it holds \(held.joined(separator: ", "))). Stop every node that uses it (systemctl stop steward, or SIGTERM), then run the command again")
    }
}

/// Holds a shared lock on every node's lock file under the given roots for as long as the
/// migration runs, so that no node can start on the data while it is copied (its exclusive lock
/// would be refused). The lock files are opened read-only: taking them changes no byte of the source.
final class HeldNodeLocks {
    private var descriptors: [Int32] = []

    init(roots: [String], locker: RunningNodeCheck.Locker = RunningNodeCheck.systemLocker) throws(MigrationError) {
        var busy: [String] = []
        var failure: MigrationError?
        for path in roots.flatMap(RunningNodeCheck.lockFiles(root:)) {
            switch RunningNodeCheck.probe(path, locker: locker) {
            case .taken(let descriptor): descriptors.append(descriptor)
            case .gone: break
            case .held: busy.append(path)
            case .failed(let error): failure = failure ?? error
            }
        }
        if let refusal = busy.isEmpty ? failure : RunningNodeCheck.refusal(busy) {
            release()
            throw refusal
        }
    }

    func release() {
        for descriptor in descriptors { close(descriptor) }
        descriptors = []
    }

    deinit { release() }
}
