import Foundation
import Synchronization

/// A child process started with `posix_spawn` and reaped with `waitpid(WNOHANG)`, in a process
/// group of its own: signals go to the whole group, so a wrapper's children (`faketime` forks the
/// real program and dies on SIGTERM without passing it on) are stopped with it, and a Ctrl-C at the
/// terminal leaves the watchdog alive to clean up.
/// Written by hand because Foundation's `Process.waitUntilExit` can miss a child's exit when
/// called from Swift concurrency (the child stays a zombie and the wait never returns).
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let command: String
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `program`; its stdout and stderr append to `outputFile` (or /dev/null); stdin reads
    /// `inputFile` (or /dev/null).
    public init(_ program: String, _ arguments: [String], environment: [String: String]? = nil, outputFile: String? = nil,
                inputFile: String? = nil) throws {
        command = ([program] + arguments).joined(separator: " ")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inputFile ?? "/dev/null", O_RDONLY, 0)
        let output = outputFile ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Only stdin, stdout and stderr: tests run in parallel, and a descriptor another test has
        // open for a moment (a bound socket, a locked file) must not live on in this child.
        Self.closeFrom(3, &actions)

        // The child starts with default signal handling and nothing blocked, whatever the test runner set.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let environment = (environment.map { ProcessInfo.processInfo.environment.merging($0) { $1 } } ?? ProcessInfo.processInfo.environment)
            .map { "\($0.key)=\($0.value)" }
        var spawned: pid_t = 0
        let status = Self.withCStrings([program] + arguments) { argv in
            Self.withCStrings(environment) { envp in
                posix_spawn(&spawned, program, &actions, &attributes, argv, envp)
            }
        }
        guard status == 0 else { throw HarnessError("cannot start \(program): \(String(cString: strerror(status)))") }
        pid = spawned
    }

    /// The exit status once the child has ended (128 + signal number when a signal ended it).
    public var status: Int32? {
        if let known = exitStatus.withLock({ $0 }) { return known }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let decoded = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        exitStatus.withLock { $0 = decoded }
        return decoded
    }

    public var isRunning: Bool { status == nil }

    /// True while any process of the group lives (the child, or what it started and left behind).
    public var groupIsAlive: Bool { ProcessTable.groupIsLiving(pid) }

    /// Waits for the child to exit and returns its status; with `group`, also for everything else
    /// in its process group.
    public func wait(timeout: Duration, group: Bool = false) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status, !group || !groupIsAlive { return status }
            guard ContinuousClock.now < deadline else { throw HarnessError("\(command) still runs after \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Sends `signal` to the child's whole process group.
    public func signal(_ signal: Int32) {
        // The group id stays reserved while any member lives, so this reaches only what we started.
        if isRunning || groupIsAlive { kill(-pid, signal) }
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module does not
    /// import (it is a GNU extension); looked up once at run time.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFromFunction: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    static func closeFrom(_ lowest: Int32, _ actions: inout posix_spawn_file_actions_t) {
        if let function = closeFromFunction { _ = function(&actions, lowest) }
    }

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { buffer in
            // The array always holds at least the terminating nil, so baseAddress is never nil.
            body(buffer.baseAddress.unsafelyUnwrapped)
        }
    }
}
