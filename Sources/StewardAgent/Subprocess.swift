import CStewardSpawn
import Foundation

/// A program started with `posix_spawn` in a process group of its own, its stdout and stderr read
/// on their own threads and its exit awaited with a blocking `waitpid` on another. Written by hand:
/// Foundation's `Process` on Linux can miss a child's exit when used from Swift concurrency (its
/// termination handler never runs, and the command would hang), the same reason the test harness
/// has its own `ChildProcess`.
final class Subprocess: Sendable {
    let pid: pid_t

    /// Starts `argv[0]` (a path, or a name looked up in PATH) and calls `output` with each piece read.
    init(argv: [String], environment: [String: String], workingDirectory: String?,
         output: @escaping @Sendable (_ stream: String, _ data: Data) -> Void) throws {
        var pipes: [[Int32]] = []
        for _ in 0..<2 {
            var descriptors: [Int32] = [0, 0]
            guard pipe(&descriptors) == 0 else { throw AgentError("cannot make a pipe: \(String(cString: strerror(errno)))") }
            pipes.append(descriptors)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipes[0][1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 2)
        for descriptor in pipes.flatMap({ $0 }) { posix_spawn_file_actions_addclose(&actions, descriptor) }
        if let workingDirectory { steward_spawn_add_chdir(&actions, workingDirectory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let environmentLines = environment.map { "\($0.key)=\($0.value)" }
        var spawned: pid_t = 0
        let status = Self.withCStrings(argv) { argv in
            Self.withCStrings(environmentLines) { envp in
                argv[0].map { String(cString: $0).contains("/") } == true
                    ? posix_spawn(&spawned, argv[0]!, &actions, &attributes, argv, envp)
                    : posix_spawnp(&spawned, argv[0]!, &actions, &attributes, argv, envp)
            }
        }
        close(pipes[0][1])
        close(pipes[1][1])
        guard status == 0 else {
            close(pipes[0][0])
            close(pipes[1][0])
            throw AgentError("cannot start \(argv[0]): \(String(cString: strerror(status)))")
        }
        pid = spawned
        for (descriptor, stream) in [(pipes[0][0], "stdout"), (pipes[1][0], "stderr")] {
            readers.enter()
            Thread.detachNewThread { [readers] in
                var buffer = [UInt8](repeating: 0, count: 16 * 1024)
                while true {
                    let count = read(descriptor, &buffer, buffer.count)
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    output(stream, Data(buffer[0..<count]))
                }
                close(descriptor)
                readers.leave()
            }
        }
    }

    private let readers = DispatchGroup()

    /// Waits for the program to end and for its output to be read (the pipes at end, or 2 s after
    /// the exit: a background child that keeps them open does not hold the result back). Returns
    /// the exit code, or the signal that ended it.
    func wait() async -> (exitCode: Int32?, signal: Int32?) {
        let pid = self.pid
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0, errno == EINTR {}
                continuation.resume(returning: raw)
            }
        }
        let readers = self.readers
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                _ = readers.wait(timeout: .now() + 2)
                continuation.resume()
            }
        }
        let low = status & 0x7f
        return low == 0 ? ((status >> 8) & 0xff, nil) : (nil, low)
    }

    /// Signals the whole process group (the program and what it started).
    func signal(_ number: Int32) { kill(-pid, number) }

    static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
