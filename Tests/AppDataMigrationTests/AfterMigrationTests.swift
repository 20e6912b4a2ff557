import Foundation
import StewardAppData
import StewardConfiguration
import StewardTesting
import Testing

/// What happens to a migrated folder afterwards (a node runs on it, someone edits it, the
/// originals go), and what `verify`, `--delete-originals` and a second run make of it.
@Suite("After the migration: changed copies, rotated logs, links, lost+found, a late --properties")
struct AfterMigrationTests {
    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test("lost+found at the root of an appdata folder is skipped, reported in the plan, and left where it is")
    func lostAndFound() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        try Fixture.folder(fixture.appData + "/lost+found", mode: 0o700)
        try Fixture.write(fixture.appData + "/lost+found/#12345", "a fragment fsck found")
        let source = ["--from-appdata", fixture.appData, "--to", fixture.destination]

        let plan = try await Migrate.run(source)
        #expect(plan.status == 0, "\(plan.output)")
        #expect(plan.output.contains("skipped (file system bookkeeping, not migrated): lost+found"), "\(plan.output)")
        let applied = try await Migrate.run(source + ["--apply"])
        #expect(applied.status == 0, "\(applied.output)")
        #expect(!exists(fixture.destination + "/lost+found"))
        #expect(try await Migrate.verify(fixture.destination).status == 0)

        let deleted = try await Migrate.run(["--delete-originals"] + source + ["--apply"])
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.appData) == ["lost+found"])
        #expect(exists(fixture.appData + "/lost+found/#12345"))
    }
}
