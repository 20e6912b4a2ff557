import Foundation
import Synchronization

/// Cleans up after the test process however it ends. Everything the harness starts is recorded
/// in a file; a small shell loop, started once, waits for the test process to exit and then
/// kills the recorded processes (by pid, nothing else) and stops PostgreSQL.
/// Normal test teardown stops things itself; this is for crashes and killed runs.
public final class Watchdog: Sendable {
    public static let shared = Watchdog()

    let registry: String
    private let started = Mutex(false)

    init() {
        registry = NSTemporaryDirectory() + "/steward-test-watchdog-\(getpid())"
    }

    /// Records `pid` for killing when the test process is gone.
    public func watch(pid: Int32) {
        append("kill -9 \(pid) 2>/dev/null")
    }

    /// Records a shell command to run when the test process is gone.
    public func atExit(_ command: String) {
        append(command)
    }

    public func forget(pid: Int32) {
        guard let text = try? String(contentsOfFile: registry, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { $0 != "kill -9 \(pid) 2>/dev/null" }.joined(separator: "\n")
        try? (kept + "\n").write(toFile: registry, atomically: true, encoding: .utf8)
    }

    private func append(_ line: String) {
        startOnce()
        guard let handle = FileHandle(forWritingAtPath: registry) else { return }
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
        try? handle.close()
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
