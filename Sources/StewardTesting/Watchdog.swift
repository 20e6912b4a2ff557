import Foundation
import Synchronization

/// Cleans up after the test process however it ends. Everything the harness starts is recorded
/// in a file; a small shell loop, started once, waits for the test process to exit and then
/// kills the recorded process groups (nothing else) and stops PostgreSQL.
/// Normal test teardown stops things itself; this is for crashes and killed runs.
public final class Watchdog: Sendable {
    public static let shared = Watchdog()

    let registry: String
    private let started = Mutex(false)
    private let lines = Mutex<[String]>([])

    init() {
        registry = NSTemporaryDirectory() + "/steward-test-watchdog-\(getpid())"
    }

    /// Records the process group led by `pid` (see `ChildProcess`) for killing when the test process is gone.
    public func watch(pid: Int32) {
        append(Self.killLine(pid))
    }

    static func killLine(_ pid: Int32) -> String { "kill -9 -- -\(pid) 2>/dev/null" }

    /// Records a shell command to run when the test process is gone.
    public func atExit(_ command: String) {
        append(command)
    }

    public func forget(pid: Int32) {
        let line = Self.killLine(pid)
        update { $0.removeAll { $0 == line } }
    }

    private func append(_ line: String) {
        startOnce()
        update { $0.append(line) }
    }

    /// Tests start and stop processes in parallel: one lock around every change, and the whole
    /// file rewritten and renamed into place, so no line is lost to a concurrent change and the
    /// watchdog never reads half a file.
    private func update(_ change: (inout [String]) -> Void) {
        lines.withLock { lines in
            change(&lines)
            try? Data(lines.map { $0 + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: registry), options: .atomic)
        }
    }

    private func startOnce() {
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        _ = FileManager.default.createFile(atPath: registry, contents: Data())
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; sh '\(registry)'; rm -f '\(registry)'"
        _ = try? ChildProcess("/bin/sh", ["-c", script])
    }
}
