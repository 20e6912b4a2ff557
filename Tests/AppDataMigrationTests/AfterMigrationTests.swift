import Foundation
import StewardAppData
import StewardConfiguration
import StewardTesting
import Testing

/// What happens to a migrated folder afterwards (a node runs on it, someone edits it, the
/// originals go), and what `verify`, `--delete-originals` and a second run make of it.
@Suite("After the migration: changed copies, rotated logs, links, lost+found, a late --properties")
struct AfterMigrationTests {
    @Test("a second run trusts a verified copy only while it is untouched: a same-size change, or a file that is not a log grown, is refused")
    func changedCopies() async throws {
        let fixture = try await Fixture.migratedAppData()
        defer { fixture.remove() }
        let arguments = fixture.fromAppData + ["--apply"]

        // Same size, same modification time as the source: only the bytes tell.
        let copy = fixture.destination + "/var/sa/agents.json"
        try Fixture.write(copy, "{\"agentz\": []}\n")
        try await Migrate.expect(arguments, status: 1, saying: "\(copy) has changed in the destination since it was migrated (the source has not)")
        #expect(Fixture.bytes(copy) == Array("{\"agentz\": []}\n".utf8), "the changed copy was overwritten")

        // Put back byte for byte (a new inode change time, so it is read again): verified.
        try Fixture.write(copy, "{\"agents\": []}\n")
        try await Migrate.expect(arguments, status: 0, saying: "copied and verified 0 files")

        // Grown, but not a log: not "kept as newer".
        try Fixture.write(copy, "{\"agents\": []}\n{\"more\": true}\n")
        let grown = try await Migrate.expect(arguments, status: 1, saying: "\(copy) has changed in the destination since it was migrated")
        #expect(!grown.output.contains("kept as they are"), "\(grown.output)")
    }

    @Test("a log is kept as newer only when it still starts with the migrated bytes")
    func rewrittenLog() async throws {
        let fixture = try await Fixture.migratedAppData()
        defer { fixture.remove() }
        let arguments = fixture.fromAppData + ["--apply"]
        let log = fixture.destination + "/logs/node-a/server.log"
        try Fixture.write(log, "line 1\nline 2\nline 3 appended on the new appdata\n")
        try await Migrate.expect(arguments, status: 0, saying: "are kept as they are (logs/node-a/server.log)")

        try Fixture.write(log, "a different first line, and longer than the migrated log\n")
        try await Migrate.expect(arguments, status: 1, saying: "the log \(log) no longer starts with the bytes migrated into it", "--delete-originals")
    }

    @Test("logs a node rotated on the new appdata: verify and --delete-originals accept them while their originals hold the migrated bytes")
    func rotatedLogs() async throws {
        let fixture = try await Fixture.migratedAppData()
        defer { fixture.remove() }
        let source = fixture.fromAppData

        // As the server rotates: server.log becomes server.log.1 (the older .1 goes), a new server.log starts.
        let logs = fixture.destination + "/logs/node-a"
        #expect(rename(logs + "/server.log", logs + "/server.log.1") == 0)
        try Fixture.write(logs + "/server.log", "the first line after the rotation\n", modified: nil)
        try await Migrate.expectVerify(fixture.destination, status: 0, saying: "logs rotated or removed by a node since the migration (their originals hold the migrated bytes): logs/node-a/server.log, logs/node-a/server.log.1")

        // An original log that changed as well: the migrated bytes are nowhere any more.
        let original = fixture.appData + "/logs/node-a/server.log"
        try Fixture.write(original, "written in the old place later\n")
        try await Migrate.expect(["--delete-originals"] + source + ["--apply"], status: 1, saying: "\(original) has changed since it was migrated")
        try await Migrate.expectVerify(fixture.destination, status: 1, saying: "logs/node-a/server.log has changed since the migration")

        try Fixture.write(original, "line 1\nline 2\n")
        try await Migrate.expect(["--delete-originals"] + source + ["--apply"], status: 0, saying: "logs rotated or removed on the new appdata since the migration (their originals are intact): logs/node-a/server.log, logs/node-a/server.log.1")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.appData) == [])
        // The originals are gone; the node's logs are its own now.
        #expect(unlink(logs + "/server.log.1") == 0)
        try await Migrate.expectVerify(fixture.destination, status: 0)
    }

    @Test("--delete-originals deletes a link only when the original and its copy still point where the journal says")
    func deleteChecksLinks() async throws {
        let fixture = try await Fixture.migratedAppData()
        defer { fixture.remove() }
        let source = fixture.fromAppData
        let delete = ["--delete-originals"] + source + ["--apply"]

        let original = fixture.appData + "/var/plugins/current.jar"
        #expect(unlink(original) == 0)
        try Fixture.link(original, to: "empty file")
        try await Migrate.expect(delete, status: 1, saying: "the link \(original) now points to empty file, not where it pointed when it was migrated")
        #expect(Fixture.exists(fixture.appData + "/var/plugins/deploy-tools.jar"))

        #expect(unlink(original) == 0)
        try Fixture.link(original, to: "deploy-tools.jar")
        let copy = fixture.destination + "/var/plugins/current.jar"
        #expect(unlink(copy) == 0)
        try Fixture.link(copy, to: "empty file")
        try await Migrate.expect(delete, status: 1, saying: "the copy \(copy) is no longer a symbolic link to deploy-tools.jar")
        #expect(Fixture.exists(fixture.appData + "/var/plugins/deploy-tools.jar"))

        #expect(unlink(copy) == 0)
        try Fixture.link(copy, to: "deploy-tools.jar")
        try await Migrate.expect(delete, status: 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.appData) == [])
    }

    @Test("lost+found at the root of an appdata folder is skipped, reported in the plan, and left where it is")
    func lostAndFound() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        try Fixture.folder(fixture.appData + "/lost+found", mode: 0o700)
        try Fixture.write(fixture.appData + "/lost+found/#12345", "a fragment fsck found")
        let source = fixture.fromAppData

        try await Migrate.expect(source, status: 0, saying: "skipped (file system bookkeeping, not migrated): lost+found")
        try await Migrate.expect(source + ["--apply"], status: 0)
        #expect(!Fixture.exists(fixture.destination + "/lost+found"))
        #expect(try await Migrate.verify(fixture.destination).status == 0)

        try await Migrate.expect(["--delete-originals"] + source + ["--apply"], status: 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.appData) == ["lost+found"])
        #expect(Fixture.exists(fixture.appData + "/lost+found/#12345"))
    }

    @Test("--properties given after the originals were deleted: shown in the dry run and applied, not skipped")
    func propertiesAfterDeletion() async throws {
        let fixture = try await Fixture.migratedAppData()
        defer { fixture.remove() }
        let source = fixture.fromAppData
        try await Migrate.expect(["--delete-originals"] + source + ["--apply"], status: 0)
        let original = try fixture.writeProperties(appDataDir: fixture.appData)
        let withProperties = source + ["--properties", fixture.properties]

        try await Migrate.expect(withProperties, status: 0, saying: "+ server.appdata.dir = \(PropertiesEditor.escapeValue(fixture.destination))", "dry run: nothing was changed")
        #expect(Fixture.bytes(fixture.properties) == original)

        try await Migrate.expect(withProperties + ["--apply"], status: 0, saying: "\(fixture.properties): server.appdata.dir=\(fixture.destination)")
        #expect(Fixture.bytes(fixture.properties) == (try Fixture.expectedProperties(original, destination: fixture.destination)))
        let journal = try #require(try MigrationJournal.read(destination: fixture.destination))
        #expect(journal.propertiesChanged.map(\.file) == [fixture.properties])

        try await Migrate.expect(withProperties + ["--apply"], status: 0, saying: "nothing to do")
    }
}
