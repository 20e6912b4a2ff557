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

    @Test("300 MB: SIGKILLed from outside in the middle of the file, run again, verified, originals deleted")
    func largeFileKilledMidCopy() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let large = "var/repository/sha256/ef/large artifact.bin"
        try Self.writeLarge(fixture.appData + "/" + large, megabytes: 300)
        let destination = fixture.destination
        let arguments = ["appdata", "migrate", "--from-appdata", fixture.appData, "--to", destination, "--apply"]

        // Start the migration and kill it once the large file's temporary copy holds 32 MB.
        let child = try ChildProcess(try Binaries.path("stewardctl"), arguments, outputFile: fixture.folder.file("killed.log"))
        Watchdog.shared.watch(pid: child.pid)
        let folder = destination + "/var/repository/sha256/ef"
        var killedAt: Int64 = 0
        let deadline = ContinuousClock.now + .seconds(120)
        while killedAt == 0, child.isRunning, ContinuousClock.now < deadline {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".steward-partial-") {
                var info = stat()
                if lstat(folder + "/" + name, &info) == 0, Int64(info.st_size) >= 32 << 20 {
                    let size = Int64(info.st_size)
                    child.signal(SIGKILL)
                    killedAt = size
                }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let status = try await child.wait(timeout: .seconds(30))
        Watchdog.shared.forget(pid: child.pid)
        #expect(killedAt > 0, "the migration was not caught in the middle of the large file")
        #expect(status == 128 + SIGKILL)
        #expect(!FileManager.default.fileExists(atPath: destination + "/" + large), "a partial file under its final name")

        let finished = try await Migrate.run(Array(arguments.dropFirst(2)))
        #expect(finished.status == 0, "\(finished.output)")
        let expected = try TreeSnapshot.take(fixture.appData).relocated(from: fixture.appData, to: destination)
        #expect(try TreeSnapshot.take(destination).differences(from: expected) == [])
        #expect(TreeSnapshot.leftovers(under: destination) == [])
        let verified = try await Migrate.verify(destination)
        #expect(verified.status == 0, "\(verified.output)")

        let delete = ["--delete-originals", "--from-appdata", fixture.appData, "--to", destination, "--apply"]
        let deleted = try await Migrate.run(delete)
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.appData) == [])
        #expect(try await Migrate.run(delete).output.contains("nothing to do"))
    }
}
