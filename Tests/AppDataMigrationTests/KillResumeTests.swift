import Foundation
import StewardAppData
import StewardTesting
import Testing

/// The migration process SIGKILLs itself (`STEWARD_MIGRATE_TEST_KILL_AT`) at one step, a real
/// process dying with no chance to clean up; then the same command runs again and must finish.
@Suite("SIGKILL at any step, then run again")
struct KillResumeTests {
    /// Each step name, and which occurrence of it, so that every kind of step is hit at least once.
    static let killPoints = [
        "destination-created", "journal-folder-created", "journal-temp-written", "journal-created", "dir-created:3", "file-created:2", "file-chunk:2", "file-middle",
        "file-written:3", "file-fsynced:4", "file-verified:5", "file-renamed:6", "journal-appended:7",
        "link-created:2", "layout-created", "dir-finalized:3", "properties-backup-written",
        "properties-temp-written", "properties-fsynced", "properties-renamed", "complete",
    ]

    static let sigkill: Int32 = 128 + SIGKILL

    struct Case {
        let fixture: Fixture
        let original: [UInt8]
        let arguments: [String]
        var destination: String { fixture.destination }

        init() throws {
            fixture = try Fixture()
            // A file of 9 MB: several 4 MB blocks, so a kill can land in the middle of one file.
            try fixture.makeAppData(bigFile: 9_000_000)
            // An older appdata without patches/: the migration creates it to complete the layout.
            try FileManager.default.removeItem(atPath: fixture.appData + "/patches")
            original = try fixture.writeProperties(appDataDir: fixture.appData)
            arguments = fixture.fromAppData + ["--properties", fixture.properties, "--apply"]
        }

        /// Right after a kill: the properties file is the old or the new one, and every file
        /// under its final name is complete (partial data only ever lives under a temporary name).
        func checkAfterKill() throws {
            let properties = Fixture.bytes(fixture.properties)
            let edited = try Fixture.expectedProperties(original, destination: destination)
            #expect(properties == original || properties == edited, "the properties file is neither the old nor the new one")
            let copied = try TreeSnapshot.take(destination)
            let source = try TreeSnapshot.take(fixture.appData).relocated(from: fixture.appData, to: destination)
            for (path, node) in copied.nodes where node.kind == "file" && !path.contains("steward-partial") {
                #expect(node.content == source.nodes[path]?.content, "\(path) is under its final name but incomplete")
            }
            // Every file the journal calls verified is in place with the recorded SHA-256.
            guard let journal = try MigrationJournal.read(destination: destination) else { return }
            for record in journal.files.values {
                #expect(copied.nodes[record.relative]?.content == record.sha256, "\(record.relative) is journaled as verified but is not in place with its bytes")
            }
        }

        /// After the final run: the tree is the source's, nothing partial remains anywhere.
        func checkFinished() async throws {
            let expected = try TreeSnapshot.take(fixture.appData).relocated(from: fixture.appData, to: destination)
            let items = try FileManager.default.contentsOfDirectory(atPath: fixture.appData)
            #expect(try TreeSnapshot.take(destination, items: items).differences(from: expected) == [])
            #expect(FileManager.default.fileExists(atPath: destination + "/patches"))
            #expect(TreeSnapshot.leftovers(under: destination) == [])
            #expect(TreeSnapshot.leftovers(under: fixture.folder.file("node")) == [])
            #expect(Fixture.bytes(fixture.properties) == (try Fixture.expectedProperties(original, destination: destination)))
            try await Migrate.expectVerify(destination, status: 0)
        }
    }

    @Test("killed at one step, the next run finishes with an identical tree", arguments: killPoints)
    func killedAt(_ point: String) async throws {
        let test = try Case()
        defer { test.fixture.remove() }
        let killed = try await Migrate.run(test.arguments, killAt: point)
        #expect(killed.status == Self.sigkill, "expected SIGKILL at \(point): \(killed.output)")
        #expect(killed.output.contains("[test hook] STEWARD_MIGRATE_TEST_KILL_AT: SIGKILL at \(point.split(separator: ":")[0])"))
        #expect(killed.output.contains("[test hook] STEWARD_MIGRATE_TEST_KILL_AT=\(point) is set"))
        try test.checkAfterKill()
        if point == "file-middle" {
            // Killed 8 MB into the 9 MB file: its data so far exists only under a temporary name.
            let folder = test.destination + "/var/repository/sha256/cd"
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            #expect(names.count == 1 && names[0].hasPrefix(".steward-partial-"), "\(names)")
        }
        try await Migrate.expect(test.arguments, status: 0)
        try await test.checkFinished()
    }

    @Test("killed several times in a row: verified files are never copied again")
    func killedRepeatedly() async throws {
        let test = try Case()
        defer { test.fixture.remove() }
        #expect(try await Migrate.run(test.arguments, killAt: "journal-appended:4").status == Self.sigkill)
        let journal = try #require(try MigrationJournal.read(destination: test.destination))
        #expect(journal.files.count == 4)
        let inodes = try journal.files.keys.map { ($0, try inode(test.destination + "/" + $0)) }
        let total = try TreeSnapshot.take(test.fixture.appData).nodes.values.filter { $0.kind == "file" }.count
        let plan = try await Migrate.run(Array(test.arguments.dropLast()))
        #expect(plan.output.contains("carrying on from an earlier run (4 of \(total) files already verified)"), "\(plan.output)")
        #expect(try await Migrate.run(test.arguments, killAt: "file-chunk:1").status == Self.sigkill)
        try test.checkAfterKill()
        #expect(try await Migrate.run(test.arguments, killAt: "properties-temp-written").status == Self.sigkill)
        try test.checkAfterKill()
        let finished = try await Migrate.expect(test.arguments, status: 0)
        // The last kill came after every file was verified: this run copies none and skips them all.
        #expect(finished.output.contains("copied and verified 0 files (0 B), \(total) already verified"), "\(finished.output)")
        for (path, number) in inodes {
            #expect(try inode(test.destination + "/" + path) == number, "\(path) was copied again")
        }
        try await test.checkFinished()
    }

    @Test("--delete-originals killed part-way is finished by the next run")
    func deleteKilled() async throws {
        let test = try Case()
        defer { test.fixture.remove() }
        try await Migrate.expect(test.arguments, status: 0)
        let delete = ["--delete-originals", "--from-appdata", test.fixture.appData, "--to", test.destination, "--apply"]
        #expect(try await Migrate.run(delete, killAt: "original-deleted:3").status == Self.sigkill)
        try await Migrate.expect(delete, status: 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: test.fixture.appData) == [])
        #expect(try await Migrate.verify(test.destination).status == 0)
        #expect(try await Migrate.run(delete).output.contains("nothing to do"))
    }

    func inode(_ path: String) throws -> UInt {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw HarnessError("\(path) is missing") }
        return UInt(info.st_ino)
    }
}
