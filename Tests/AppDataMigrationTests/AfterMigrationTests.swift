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

    @Test("logs a node rotated on the new appdata: verify and --delete-originals accept them while their originals hold the migrated bytes")
    func rotatedLogs() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let source = ["--from-appdata", fixture.appData, "--to", fixture.destination]
        #expect(try await Migrate.run(source + ["--apply"]).status == 0)

        // As the server rotates: server.log becomes server.log.1 (the older .1 goes), a new server.log starts.
        let logs = fixture.destination + "/logs/node-a"
        #expect(rename(logs + "/server.log", logs + "/server.log.1") == 0)
        try Fixture.write(logs + "/server.log", "the first line after the rotation\n", modified: nil)
        let verified = try await Migrate.verify(fixture.destination)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.contains("logs rotated or removed by a node since the migration (their originals hold the migrated bytes): logs/node-a/server.log, logs/node-a/server.log.1"), "\(verified.output)")

        // An original log that changed as well: the migrated bytes are nowhere any more.
        let original = fixture.appData + "/logs/node-a/server.log"
        try Fixture.write(original, "written in the old place later\n")
        let refused = try await Migrate.run(["--delete-originals"] + source + ["--apply"])
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("\(original) has changed since it was migrated"), "\(refused.output)")
        let notVerified = try await Migrate.verify(fixture.destination)
        #expect(notVerified.status == 1, "\(notVerified.output)")
        #expect(notVerified.output.contains("logs/node-a/server.log has changed since the migration"), "\(notVerified.output)")

        try Fixture.write(original, "line 1\nline 2\n")
        let deleted = try await Migrate.run(["--delete-originals"] + source + ["--apply"])
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(deleted.output.contains("logs rotated or removed on the new appdata since the migration (their originals are intact): logs/node-a/server.log, logs/node-a/server.log.1"), "\(deleted.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.appData) == [])
        // The originals are gone; the node's logs are its own now.
        #expect(unlink(logs + "/server.log.1") == 0)
        let after = try await Migrate.verify(fixture.destination)
        #expect(after.status == 0, "\(after.output)")
    }

    @Test("--delete-originals deletes a link only when the original and its copy still point where the journal says")
    func deleteChecksLinks() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let source = ["--from-appdata", fixture.appData, "--to", fixture.destination]
        #expect(try await Migrate.run(source + ["--apply"]).status == 0)
        let delete = ["--delete-originals"] + source + ["--apply"]

        let original = fixture.appData + "/var/plugins/current.jar"
        #expect(unlink(original) == 0)
        try Fixture.link(original, to: "empty file")
        let repointed = try await Migrate.run(delete)
        #expect(repointed.status == 1, "\(repointed.output)")
        #expect(repointed.output.contains("the link \(original) now points to empty file, not where it pointed when it was migrated"), "\(repointed.output)")
        #expect(exists(fixture.appData + "/var/plugins/deploy-tools.jar"))

        #expect(unlink(original) == 0)
        try Fixture.link(original, to: "deploy-tools.jar")
        let copy = fixture.destination + "/var/plugins/current.jar"
        #expect(unlink(copy) == 0)
        try Fixture.link(copy, to: "empty file")
        let changedCopy = try await Migrate.run(delete)
        #expect(changedCopy.status == 1, "\(changedCopy.output)")
        #expect(changedCopy.output.contains("the copy \(copy) is no longer a symbolic link to deploy-tools.jar"), "\(changedCopy.output)")
        #expect(exists(fixture.appData + "/var/plugins/deploy-tools.jar"))

        #expect(unlink(copy) == 0)
        try Fixture.link(copy, to: "deploy-tools.jar")
        let deleted = try await Migrate.run(delete)
        #expect(deleted.status == 0, "\(deleted.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.appData) == [])
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

    @Test("--properties given after the originals were deleted: shown in the dry run and applied, not skipped")
    func propertiesAfterDeletion() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let source = ["--from-appdata", fixture.appData, "--to", fixture.destination]
        #expect(try await Migrate.run(source + ["--apply"]).status == 0)
        #expect(try await Migrate.run(["--delete-originals"] + source + ["--apply"]).status == 0)
        let original = try fixture.writeProperties(appDataDir: fixture.appData)
        let withProperties = source + ["--properties", fixture.properties]

        let dryRun = try await Migrate.run(withProperties)
        #expect(dryRun.status == 0, "\(dryRun.output)")
        #expect(dryRun.output.contains("+ server.appdata.dir = \(PropertiesEditor.escapeValue(fixture.destination))"), "\(dryRun.output)")
        #expect(dryRun.output.contains("dry run: nothing was changed"), "\(dryRun.output)")
        #expect(Fixture.bytes(fixture.properties) == original)

        let applied = try await Migrate.run(withProperties + ["--apply"])
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.output.contains("\(fixture.properties): server.appdata.dir=\(fixture.destination)"), "\(applied.output)")
        #expect(Fixture.bytes(fixture.properties) == (try Fixture.expectedProperties(original, destination: fixture.destination)))
        let journal = try #require(try MigrationJournal.read(destination: fixture.destination))
        #expect(journal.propertiesChanged.map(\.file) == [fixture.properties])

        let again = try await Migrate.run(withProperties + ["--apply"])
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("nothing to do"), "\(again.output)")
    }
}
