import Foundation
import StewardAppData
import StewardTesting
import Testing

@Suite("A file of several hundred MB", .serialized)
struct LargeFileTests {
    /// `megabytes` MB of pseudo-random blocks: 4 MB from /dev/urandom, written again and again
    /// with each block's number stamped into it, so that no two blocks are alike. Fast, and not sparse.
    static func writeLarge(_ path: String, megabytes: Int) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard let random = FileHandle(forReadingAtPath: "/dev/urandom") else { throw HarnessError("cannot read /dev/urandom") }
        var block = [UInt8](random.readData(ofLength: 4 << 20))
        try random.close()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw HarnessError("cannot create \(path)") }
        defer { close(descriptor) }
        for index in 0..<(megabytes / 4) {
            withUnsafeBytes(of: UInt64(index)) { stamp in
                for offset in 0..<8 { block[offset] = stamp[offset] }
            }
            let written = block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard written == block.count else { throw HarnessError("cannot write \(path)") }
        }
    }

    /// The size of the temporary copy in `folder` (0 when there is none yet).
    static func partialSize(in folder: String) -> Int64 {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".steward-partial-") {
            var info = stat()
            if lstat(folder + "/" + name, &info) == 0 { return Int64(info.st_size) }
        }
        return 0
    }

    /// SIGKILLs `child` as soon as `condition` holds; returns whether it did. Polls on a thread of
    /// its own, so that busy test threads (other tests run in parallel) cannot make it miss the moment.
    static func kill(_ child: ChildProcess, when condition: @escaping @Sendable () -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline, child.isRunning {
                    if condition() {
                        child.signal(SIGKILL)
                        continuation.resume(returning: true)
                        return
                    }
                    usleep(1000)
                }
                continuation.resume(returning: false)
            }
            thread.start()
        }
    }

    @Test("300 MB: SIGKILLed from outside in the middle of the file, run again, verified, originals deleted")
    func largeFileKilledMidCopy() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let large = "var/repository/sha256/ef/large artifact.bin"
        try Self.writeLarge(fixture.appData + "/" + large, megabytes: 300)
        let destination = fixture.destination
        let arguments = ["appdata", "migrate", "--from-appdata", fixture.appData, "--to", destination, "--apply"]

        // Start the migration and kill it once the large file's temporary copy holds a first 4 MB block
        // (the copy has then most of 300 MB still to write, read back and rename: a wide window).
        let child = try ChildProcess(try Binaries.path("stewardctl"), arguments, outputFile: fixture.folder.file("killed.log"))
        Watchdog.shared.watch(pid: child.pid)
        let folder = destination + "/var/repository/sha256/ef"
        let killed = await Self.kill(child, when: { Self.partialSize(in: folder) >= 4 << 20 })
        let status = try await child.wait(timeout: .seconds(30))
        Watchdog.shared.forget(pid: child.pid)
        #expect(killed, "the migration was not caught in the middle of the large file")
        #expect(status == 128 + SIGKILL)
        #expect(!FileManager.default.fileExists(atPath: destination + "/" + large), "a partial file under its final name")
        #expect(TreeSnapshot.leftovers(under: folder).count == 1, "the partial copy lives under its temporary name")

        try await Migrate.expect(Array(arguments.dropFirst(2)), status: 0)
        let expected = try TreeSnapshot.take(fixture.appData).relocated(from: fixture.appData, to: destination)
        #expect(try TreeSnapshot.take(destination).differences(from: expected) == [])
        #expect(TreeSnapshot.leftovers(under: destination) == [])
        try await Migrate.expectVerify(destination, status: 0)

        let delete = ["--delete-originals", "--from-appdata", fixture.appData, "--to", destination, "--apply"]
        try await Migrate.expect(delete, status: 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.appData) == [])
        #expect(try await Migrate.run(delete).output.contains("nothing to do"))
    }
}
