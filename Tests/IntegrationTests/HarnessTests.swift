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
        let result = try await Shell.run("/bin/sh", ["-c", "ls /proc/$$/fd"])
        let descriptors = result.output.split(separator: "\n").compactMap { Int($0) }
        #expect(!descriptors.contains(Int(held)), "descriptor \(held) leaked into the child: \(descriptors)")
        #expect(descriptors.allSatisfy { $0 <= 2 || $0 >= 10 }, "\(descriptors)")
    }

    @Test("ports handed out are never handed out twice in one process")
    func distinctPorts() throws {
        let ports = try FreePorts.take(300)
        #expect(Set(ports).count == 300)
        #expect(ports.allSatisfy { (20000..<32000).contains($0) })
    }
}
