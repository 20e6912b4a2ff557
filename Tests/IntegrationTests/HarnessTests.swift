import Foundation
import StewardTesting
import Testing

/// The harness's own promises, on which every parallel test relies.
@Suite("Test harness")
struct HarnessTests {
    @Test("a child process inherits only stdin, stdout and stderr, not the test process's open descriptors")
    func noInheritedDescriptors() async throws {
        let folder = try TemporaryDirectory(prefix: "steward-harness")
        defer { folder.remove() }
        let held = open(try folder.write("held", "x"), O_RDONLY)  // deliberately without O_CLOEXEC
        defer { close(held) }
        let result = try await Shell.run("/bin/ls", ["/proc/self/fd"])
        let descriptors = Set(result.output.split(separator: "\n").compactMap { Int($0) })
        #expect(!descriptors.contains(Int(held)), "descriptor \(held) leaked into the child: \(descriptors)")
        // 0, 1 and 2, and the one `ls` opens to read the folder: nothing else.
        #expect(descriptors == [0, 1, 2, 3], "\(descriptors.sorted())")
    }

    @Test("stopping a child stops what it started too (a wrapper such as faketime forks and does not pass SIGTERM on)")
    func signalsReachTheWholeGroup() async throws {
        let folder = try TemporaryDirectory(prefix: "steward-harness")
        defer { folder.remove() }
        let pidFile = folder.file("grandchild.pid")
        let child = try ChildProcess("/bin/sh", ["-c", "sleep 300 & echo $! > '\(pidFile)'; wait"])
        defer { child.signal(SIGKILL) }  // whatever the test finds, nothing is left behind
        var grandchild: Int32?
        let deadline = ContinuousClock.now + .seconds(10)
        while grandchild == nil, ContinuousClock.now < deadline {
            grandchild = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try await Task.sleep(for: .milliseconds(20))
        }
        let sleeper = try #require(grandchild)
        child.signal(SIGTERM)
        _ = try await child.wait(timeout: .seconds(10), group: true)
        #expect(!ProcessTable.isLiving(sleeper), "the grandchild \(sleeper) outlived its parent")
    }

    @Test("ports handed out are never handed out twice in one process")
    func distinctPorts() throws {
        let ports = try FreePorts.take(300)
        #expect(Set(ports).count == 300)
        #expect(ports.allSatisfy { (20000..<32000).contains($0) })
    }
}
