import Foundation
import Synchronization

/// A test hook, and nothing else: `STEWARD_MIGRATE_TEST_KILL_AT` makes the migration SIGKILL
/// itself at one step, so tests can prove that a real process killed there leaves nothing
/// half-done. It changes no check and skips nothing; when it is set, the process says so on
/// stderr as it starts, so it is never armed unnoticed.
///
/// The value is `N` (the Nth step of any kind), `NAME` (the first step called NAME) or `NAME:N`
/// (the Nth step called NAME); `stop:` in front stops the process with SIGSTOP instead, so that a
/// test can change the world (fill the disk) at that exact point and then let it go on with SIGCONT.
/// Steps: `destination-created`, `journal-folder-created`, `journal-temp-written`,
/// `journal-created`, `dir-created`, `file-created`, `file-chunk` (each block written),
/// `file-middle` (a block after a file's first), `file-written`, `file-fsynced`, `file-verified`,
/// `file-renamed`, `link-created`, `journal-appended`, `layout-created`, `dir-finalized`,
/// `properties-backup-written`, `properties-temp-written`, `properties-fsynced`,
/// `properties-renamed`, `complete`, `original-deleted`. Unset (always, outside tests), it does nothing,
/// and a release build never reads it at all.
public final class TestKillHook: Sendable {
    public static let environmentVariable = "STEWARD_MIGRATE_TEST_KILL_AT"

    let name: String?
    let occurrence: Int
    let signal: Int32
    private let counts = Mutex<(total: Int, byName: [String: Int])>((0, [:]))

    public init(specification: String?) {
        var step = specification ?? ""
        signal = step.hasPrefix("stop:") ? SIGSTOP : SIGKILL
        if signal == SIGSTOP { step.removeFirst("stop:".count) }
        let parts = step.split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first else {
            (name, occurrence) = (nil, 0)
            return
        }
        if let number = Int(first) {
            (name, occurrence) = (nil, number)
        } else {
            (name, occurrence) = (first, parts.count == 2 ? Int(parts[1]) ?? 1 : 1)
        }
    }

    /// The hook as the environment sets it; says so on stderr when it is armed.
    public convenience init() {
        #if DEBUG
        let specification = ProcessInfo.processInfo.environment[Self.environmentVariable]
        #else
        let specification: String? = nil
        #endif
        self.init(specification: specification)
        if isArmed {
            Self.say("\(Self.environmentVariable)=\(specification ?? "") is set: this process will \(signal == SIGSTOP ? "stop (SIGSTOP)" : "SIGKILL") itself at that step. It exists for Steward's own tests; unset it")
        }
    }

    public var isArmed: Bool { occurrence > 0 }

    /// Called at each step; kills (or stops) this process when the step is the one asked for.
    public func step(_ step: String) {
        guard isArmed else { return }
        let hit = counts.withLock { counts -> Bool in
            counts.total += 1
            counts.byName[step, default: 0] += 1
            if let name { return name == step && counts.byName[step] == occurrence }
            return counts.total == occurrence
        }
        guard hit else { return }
        Self.say("\(Self.environmentVariable): \(signal == SIGSTOP ? "SIGSTOP" : "SIGKILL") at \(step)")
        kill(getpid(), signal)
    }

    static func say(_ text: String) {
        FileHandle.standardError.write(Data("[test hook] \(text)\n".utf8))
    }
}
