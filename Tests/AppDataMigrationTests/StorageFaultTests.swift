import Foundation
import StewardAppData
import StewardTesting
import Testing

/// Small file systems mounted by the test itself (the tests run as root). A mount that fails
/// fails the test with the reason: these cases are never skipped silently.
enum TestMount {
    static func tmpfs(_ path: String, options: String) async throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try await Shell.run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path], allowFailure: true)
        guard result.status == 0 else {
            throw HarnessError("cannot mount a tmpfs (\(options)) at \(path) for this test (it needs root and mount rights): \(result.output)")
        }
        Watchdog.shared.atExit("umount -l '\(path)' 2>/dev/null")
    }

    /// Mounts, runs `body`, and unmounts whatever happens.
    static func with<T>(_ path: String, options: String, _ body: () async throws -> T) async throws -> T {
        try await tmpfs(path, options: options)
        do {
            let result = try await body()
            await unmount(path)
            return result
        } catch {
            await unmount(path)
            throw error
        }
    }

    static func unmount(_ path: String) async {
        _ = try? await Shell.run("/bin/umount", ["-l", path], allowFailure: true)
    }
}

@Suite("Storage faults: a read-only or full destination", .serialized)
struct StorageFaultTests {
    @Test("a read-only destination is refused before anything is written")
    func readOnly() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let original = try fixture.writeProperties(appDataDir: fixture.appData)
        let mount = fixture.folder.file("readonly")
        try await TestMount.with(mount, options: "ro,size=1m") {
            for destination in [mount, mount + "/appdata"] {
                try await Migrate.expect(["--from-appdata", fixture.appData, "--to", destination, "--properties", fixture.properties, "--apply"], status: 1, saying: "is on a read-only file system")
                #expect(try FileManager.default.contentsOfDirectory(atPath: mount) == [])
                #expect(Fixture.bytes(fixture.properties) == original)
            }
        }
    }

    @Test("a destination too small for the data is refused up front, from statvfs")
    func tooSmall() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData(bigFile: 5_000_000)
        let mount = fixture.folder.file("small")
        try await TestMount.with(mount, options: "size=2m") {
            try await Migrate.expect(["--from-appdata", fixture.appData, "--to", mount + "/appdata", "--apply"], status: 1, saying: "not enough free space", "2.0 MB free")
            #expect(try FileManager.default.contentsOfDirectory(atPath: mount) == [])
        }
    }

    @Test("a disk that another process fills during the copy, after the space check: a clear error, no partial file, and the next run finishes once there is room")
    func fillsUpDuringCopy() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData(bigFile: 3_000_000)
        let original = try fixture.writeProperties(appDataDir: fixture.appData)
        let mount = fixture.folder.file("filling")
        try await TestMount.with(mount, options: "size=8m") {
            let destination = mount + "/appdata"
            let arguments = ["--from-appdata", fixture.appData, "--to", destination, "--properties", fixture.properties, "--apply"]

            // The migration passes its space check and copies a few files; the test hook then stops
            // it (SIGSTOP) while this process fills the storage, and lets it go on: a real ENOSPC.
            let log = fixture.folder.file("filled.log")
            let child = try ChildProcess(try Binaries.path("stewardctl"), ["appdata", "migrate"] + arguments,
                                         environment: [TestKillHook.environmentVariable: "stop:file-renamed:3"], outputFile: log)
            Watchdog.shared.watch(pid: child.pid)
            let filler = mount + "/filler"
            let status = try await withAsyncCleanup {
                try await Self.waitUntilStopped(child)
                try Self.fill(filler)
                child.signal(SIGCONT)
                return try await child.wait(timeout: .seconds(60))
            } cleanup: {
                child.signal(SIGKILL)  // only if something above failed: a stopped child must not stay behind
                _ = try? await child.wait(timeout: .seconds(5))
                Watchdog.shared.forget(pid: child.pid)
            }
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(status == 1, "\(output)")
            #expect(output.contains("No space left on device"), "\(output)")
            #expect(output.contains("run the same command again"), "\(output)")
            #expect(TreeSnapshot.leftovers(under: destination) == [])
            #expect(Fixture.bytes(fixture.properties) == original)
            #expect(try await Migrate.verify(destination).status == 1)

            #expect(unlink(filler) == 0)
            try await Migrate.expect(arguments, status: 0)
            let expected = try TreeSnapshot.take(fixture.appData).relocated(from: fixture.appData, to: destination)
            #expect(try TreeSnapshot.take(destination).differences(from: expected) == [])
            #expect(TreeSnapshot.leftovers(under: destination) == [])
            #expect(Fixture.bytes(fixture.properties) == (try Fixture.expectedProperties(original, destination: destination)))
            #expect(try await Migrate.verify(destination).status == 0)
        }
    }

    /// Waits until `child` has stopped itself (state T in /proc), failing if it ends instead.
    static func waitUntilStopped(_ child: ChildProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if ProcessTable.isStopped(child.pid) { return }
            if let status = child.status { throw HarnessError("the migration ended (status \(status)) instead of stopping at the test hook") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("the migration did not stop at the test hook within 60 seconds")
    }

    /// Writes to `path` until the file system is full (ENOSPC).
    static func fill(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw HarnessError("cannot create \(path)") }
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0xAB, count: 1 << 16)
        while true {
            let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                guard errno == ENOSPC else { throw HarnessError("cannot fill \(path): \(String(cString: strerror(errno)))") }
                return
            }
        }
    }
}
