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

    static func remount(_ path: String, options: String) async throws {
        try await Shell.run("/bin/mount", ["-o", "remount,\(options)", path])
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
                let result = try await Migrate.run(["--from-appdata", fixture.appData, "--to", destination, "--properties", fixture.properties, "--apply"])
                #expect(result.status == 1, "\(result.output)")
                #expect(result.output.contains("is on a read-only file system"), "\(result.output)")
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
            let result = try await Migrate.run(["--from-appdata", fixture.appData, "--to", mount + "/appdata", "--apply"])
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("not enough free space"), "\(result.output)")
            #expect(result.output.contains("2.0 MB free"), "\(result.output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: mount) == [])
        }
    }

    @Test("a disk that fills up during the copy: a clear error, no partial file, and the next run finishes once there is room")
    func fillsUpDuringCopy() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData(bigFile: 3_000_000)
        let original = try fixture.writeProperties(appDataDir: fixture.appData)
        let mount = fixture.folder.file("filling")
        try await TestMount.with(mount, options: "size=2m") {
            let destination = mount + "/appdata"
            let arguments = ["--from-appdata", fixture.appData, "--to", destination, "--properties", fixture.properties, "--apply"]

            // Past the up-front check (as when something else fills the storage meanwhile): a real ENOSPC.
            let full = try await Migrate.run(arguments, environment: [MigrationPlanner.skipSpaceCheckVariable: "1"])
            #expect(full.status == 1, "\(full.output)")
            #expect(full.output.contains("No space left on device"), "\(full.output)")
            #expect(full.output.contains("run the same command again"), "\(full.output)")
            #expect(TreeSnapshot.leftovers(under: destination) == [])
            #expect(Fixture.bytes(fixture.properties) == original)
            #expect(try await Migrate.verify(destination).status == 1)

            try await TestMount.remount(mount, options: "size=20m")
            let finished = try await Migrate.run(arguments)
            #expect(finished.status == 0, "\(finished.output)")
            let expected = try TreeSnapshot.take(fixture.appData).relocated(from: fixture.appData, to: destination)
            #expect(try TreeSnapshot.take(destination).differences(from: expected) == [])
            #expect(TreeSnapshot.leftovers(under: destination) == [])
            #expect(Fixture.bytes(fixture.properties) == (try Fixture.expectedProperties(original, destination: destination)))
            #expect(try await Migrate.verify(destination).status == 0)
        }
    }
}
