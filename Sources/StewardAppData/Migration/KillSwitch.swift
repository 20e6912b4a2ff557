import Foundation
import Synchronization

/// A test hook: `STEWARD_MIGRATE_TEST_KILL_AT` makes the migration SIGKILL itself at one step,
/// so tests can prove that a real process killed there leaves nothing half-done.
///
/// The value is `N` (the Nth step of any kind), `NAME` (the first step called NAME) or `NAME:N`
/// (the Nth step called NAME). Steps: `destination-created`, `journal-created`, `dir-created`,
/// `file-created`, `file-chunk` (each block written), `file-middle` (a block after a file's first),
/// `file-written`, `file-fsynced`, `file-verified`, `file-renamed`, `link-created`,
/// `journal-appended`, `layout-created`, `dir-finalized`, `properties-backup-written`,
/// `properties-temp-written`, `properties-fsynced`, `properties-renamed`, `complete`,
/// `original-deleted`. Unset (always, outside tests), it does nothing.
public final class KillSwitch: Sendable {
    public static let environmentVariable = "STEWARD_MIGRATE_TEST_KILL_AT"

    private let name: String?
    private let occurrence: Int
    private let counts = Mutex<(total: Int, byName: [String: Int])>((0, [:]))

    public init(specification: String?) {
        guard let specification, !specification.isEmpty else {
            (name, occurrence) = (nil, 0)
            return
        }
        let parts = specification.split(separator: ":", maxSplits: 1).map(String.init)
        if let number = Int(parts[0]) {
            (name, occurrence) = (nil, number)
        } else {
            (name, occurrence) = (parts[0], parts.count == 2 ? Int(parts[1]) ?? 1 : 1)
        }
    }

    public convenience init() {
        self.init(specification: ProcessInfo.processInfo.environment[Self.environmentVariable])
    }

    public var isArmed: Bool { occurrence > 0 }

    /// Called at each step; kills this process when the step is the one asked for.
    public func step(_ step: String) {
        guard isArmed else { return }
        let hit = counts.withLock { counts -> Bool in
            counts.total += 1
            counts.byName[step, default: 0] += 1
            if let name { return name == step && counts.byName[step] == occurrence }
            return counts.total == occurrence
        }
        if hit {
            FileHandle.standardError.write(Data("[test] \(Self.environmentVariable): SIGKILL at \(step)\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
