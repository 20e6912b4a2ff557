import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Finds Steward servers that still use a folder: a running node holds an exclusive `flock` on
/// `logs/<node>/server.lock` (see `NodeLock`), which the kernel drops however the node ends.
enum RunningNodeCheck {
    /// The lock files under `root/logs/*/server.lock`.
    static func lockFiles(root: String) -> [String] {
        let logs = root + "/logs"
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        return nodes.sorted().map { "\(logs)/\($0)/\(NodeLock.fileName)" }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// The lock files under `root` that a running process holds now.
    static func heldLocks(root: String) -> [String] {
        lockFiles(root: root).filter { NodeLock.isHeld(path: $0) }
    }

    static func refusal(_ held: [String]) -> MigrationError {
        let nodes = held.map { PathRules.name(PathRules.parent($0)) }
        return MigrationError(.serverRunning,
            "a Steward server is still running on this data (node \(nodes.joined(separator: ", ")); it holds \(held.joined(separator: ", "))). Stop every node that uses it (systemctl stop steward, or SIGTERM), then run the command again")
    }
}

/// Holds the lock of every node folder under the given roots for as long as the migration runs,
/// so that no node can start on the data while it is copied (it would find the lock taken).
/// The lock files are opened read-only: taking them changes no byte of the source.
final class HeldNodeLocks {
    private var descriptors: [Int32] = []

    init(roots: [String]) throws(MigrationError) {
        var busy: [String] = []
        for path in roots.flatMap(RunningNodeCheck.lockFiles(root:)) {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                descriptors.append(descriptor)
            } else {
                close(descriptor)
                busy.append(path)
            }
        }
        if !busy.isEmpty {
            release()
            throw RunningNodeCheck.refusal(busy)
        }
    }

    func release() {
        for descriptor in descriptors { close(descriptor) }
        descriptors = []
    }

    deinit { release() }
}
