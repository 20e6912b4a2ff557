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

    @Test("a second run trusts a verified copy only while it is untouched: a same-size change, or a file that is not a log grown, is refused")
    func changedCopies() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let arguments = ["--from-appdata", fixture.appData, "--to", fixture.destination, "--apply"]
        #expect(try await Migrate.run(arguments).status == 0)

        // Same size, same modification time as the source: only the bytes tell.
        let copy = fixture.destination + "/var/sa/agents.json"
        try Fixture.write(copy, "{\"agentz\": []}\n")
        let sameSize = try await Migrate.run(arguments)
        #expect(sameSize.status == 1, "\(sameSize.output)")
        #expect(sameSize.output.contains("\(copy) has changed in the destination since it was migrated (the source has not)"), "\(sameSize.output)")
        #expect(Fixture.bytes(copy) == Array("{\"agentz\": []}\n".utf8), "the changed copy was overwritten")

        // Put back byte for byte (a new inode change time, so it is read again): verified.
        try Fixture.write(copy, "{\"agents\": []}\n")
        let restored = try await Migrate.run(arguments)
        #expect(restored.status == 0, "\(restored.output)")
        #expect(restored.output.contains("copied and verified 0 files"), "\(restored.output)")

        // Grown, but not a log: not "kept as newer".
        try Fixture.write(copy, "{\"agents\": []}\n{\"more\": true}\n")
        let grown = try await Migrate.run(arguments)
        #expect(grown.status == 1, "\(grown.output)")
        #expect(grown.output.contains("\(copy) has changed in the destination since it was migrated"), "\(grown.output)")
        #expect(!grown.output.contains("kept as they are"), "\(grown.output)")
    }

    @Test("a log is kept as newer only when it still starts with the migrated bytes")
    func rewrittenLog() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let arguments = ["--from-appdata", fixture.appData, "--to", fixture.destination, "--apply"]
        #expect(try await Migrate.run(arguments).status == 0)
        let log = fixture.destination + "/logs/node-a/server.log"
        try Fixture.write(log, "line 1\nline 2\nline 3 appended on the new appdata\n")
        let grown = try await Migrate.run(arguments)
        #expect(grown.status == 0, "\(grown.output)")
        #expect(grown.output.contains("are kept as they are (logs/node-a/server.log)"), "\(grown.output)")

        try Fixture.write(log, "a different first line, and longer than the migrated log\n")
        let rewritten = try await Migrate.run(arguments)
        #expect(rewritten.status == 1, "\(rewritten.output)")
        #expect(rewritten.output.contains("the log \(log) no longer starts with the bytes migrated into it"), "\(rewritten.output)")
        #expect(rewritten.output.contains("--delete-originals"), "\(rewritten.output)")
    }

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
