import Foundation
import StewardAppData
import StewardConfiguration
import StewardTesting
import Testing

@Suite("Migrating an older installation's data, and then deleting the originals")
struct InstallMigrationTests {
    static let skipped: Set<String> = ["var/sa", "conf/collectors", "conf/encryption.keystore"]

    @Test("dry run prints the plan and changes nothing; --apply copies every present item, keeps installed.version, and edits only server.appdata.dir")
    func fullCycle() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall(skip: Self.skipped)
        let original = try fixture.writeProperties(appDataDir: fixture.install)
        let before = try TreeSnapshot.take(fixture.install)
        let arguments = ["--from-install", fixture.install, "--to", fixture.destination, "--properties", fixture.properties]

        let dryRun = try await Migrate.run(arguments)
        #expect(dryRun.status == 0, "\(dryRun.output)")
        #expect(dryRun.output.contains("(dry run)"))
        #expect(dryRun.output.contains("var/plugins"))
        #expect(dryRun.output.contains("absent from the source (reported, not an error): var/sa, conf/encryption.keystore, conf/collectors"))
        #expect(dryRun.output.contains("- server.appdata.dir = /\\"))
        #expect(dryRun.output.contains("+ server.appdata.dir = \(PropertiesEditor.escapeValue(fixture.destination))"))
        #expect(dryRun.output.contains("database unreachable"))
        #expect(!FileManager.default.fileExists(atPath: fixture.destination))
        #expect(Fixture.bytes(fixture.properties) == original)
        #expect(try TreeSnapshot.take(fixture.install) == before)

        let applied = try await Migrate.run(arguments + ["--apply"])
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.output.contains("done in"))

        // Every present item arrives whole: bytes, permissions, times, links (absolute ones relocated).
        let items = MigrationSource.installItems.filter { !Self.skipped.contains($0) }
        let expected = try TreeSnapshot.take(fixture.install, items: items).relocated(from: fixture.install, to: fixture.destination)
        let copied = try TreeSnapshot.take(fixture.destination, items: items)
        #expect(copied.differences(from: expected) == [])
        #expect(copied.nodes["var/plugins/absolute link"]?.content == fixture.destination + "/var/plugins/deploy-tools.jar")
        // The layout is complete, absent items included, and nothing is left half-done.
        for folder in AppDataLayout.requiredFolders + AppDataLayout.optionalFolders {
            #expect(FileManager.default.fileExists(atPath: fixture.destination + "/" + folder), "\(folder)")
        }
        #expect(TreeSnapshot.leftovers(under: fixture.destination) == [])
        // The originals are all still there, untouched.
        #expect(try TreeSnapshot.take(fixture.install) == before)
        // The properties file: only server.appdata.dir changed, and a backup holds the old bytes.
        let edited = try #require(Fixture.bytes(fixture.properties))
        #expect(edited == (try Fixture.expectedProperties(original, destination: fixture.destination)))
        #expect(try PropertiesFile.load(path: fixture.properties)["server.appdata.dir"] == fixture.destination)
        let backups = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.file("node")).filter { $0.hasPrefix("installed.properties.bak-") }
        #expect(backups.count == 1)
        #expect(Fixture.bytes(fixture.folder.file("node/" + (backups.first ?? ""))) == original)
        var info = stat()
        stat(fixture.properties, &info)
        #expect(info.st_mode & 0o777 == 0o640)
        #expect(TreeSnapshot.leftovers(under: fixture.folder.file("node")) == [])

        let verified = try await Migrate.verify(fixture.destination)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.contains("complete"))

        // Run again: nothing is copied again, the properties file is left alone.
        let again = try await Migrate.run(arguments + ["--apply"])
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("copied and verified 0 files"))
        #expect(again.output.contains("already sets server.appdata.dir"))
        #expect(Fixture.bytes(fixture.properties) == edited)
    }

    @Test("--delete-originals: a dry run first, then only migrated items go (installed.version stays); run twice, the second is a no-op")
    func deleteOriginals() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall(skip: Self.skipped)
        let source = ["--from-install", fixture.install, "--to", fixture.destination]

        let early = try await Migrate.run(["--delete-originals", "--apply"] + source)
        #expect(early.status == 1, "\(early.output)")
        #expect(early.output.contains("holds no migration"))

        #expect(try await Migrate.run(source + ["--apply"]).status == 0)
        let migrated = try TreeSnapshot.take(fixture.destination)

        let dryRun = try await Migrate.run(["--delete-originals"] + source)
        #expect(dryRun.status == 0, "\(dryRun.output)")
        #expect(dryRun.output.contains("nothing was deleted"))
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/var/plugins/deploy-tools.jar"))

        let deleted = try await Migrate.run(["--delete-originals", "--apply"] + source)
        #expect(deleted.status == 0, "\(deleted.output)")
        for item in MigrationSource.installItems where item != "conf/installed.version" {
            #expect(!FileManager.default.fileExists(atPath: fixture.install + "/" + item), "\(item)")
        }
        #expect(Fixture.bytes(fixture.install + "/conf/installed.version") == Array("0.9.0\n".utf8))
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/bin/steward-server"))
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/conf/wrapper.conf"))
        #expect(try TreeSnapshot.take(fixture.destination) == migrated)

        let second = try await Migrate.run(["--delete-originals", "--apply"] + source)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("nothing to do"))
        #expect(try await Migrate.verify(fixture.destination).status == 0)
    }

    @Test("--delete-originals refuses when an original changed or a copy changed since the migration, and deletes nothing")
    func deleteRefusesChanges() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall()
        let source = ["--from-install", fixture.install, "--to", fixture.destination]
        #expect(try await Migrate.run(source + ["--apply"]).status == 0)

        try Fixture.write(fixture.install + "/var/sa/agents.json", "{\"agents\": [\"written after the migration\"]}\n")
        let changedOriginal = try await Migrate.run(["--delete-originals", "--apply"] + source)
        #expect(changedOriginal.status == 1)
        #expect(changedOriginal.output.contains("has changed since it was migrated"))
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/var/plugins/deploy-tools.jar"))

        // Migrating again picks the change up; then a copy is damaged.
        #expect(try await Migrate.run(source + ["--apply"]).status == 0)
        try Fixture.write(fixture.destination + "/conf/collectors/cpu.yaml", "interval: 99s\n")
        let changedCopy = try await Migrate.run(["--delete-originals", "--apply"] + source)
        #expect(changedCopy.status == 1)
        #expect(changedCopy.output.contains("no longer holds what was migrated"))
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/conf/collectors/cpu.yaml"))
        let verify = try await Migrate.verify(fixture.destination)
        #expect(verify.status == 1)
        #expect(verify.output.contains("conf/collectors/cpu.yaml has changed since the migration"))

        // A log that a node appended to afterwards is fine: its migrated part is intact.
        try Fixture.write(fixture.destination + "/conf/collectors/cpu.yaml", "interval: 10s\n")
        let log = fixture.destination + "/logs/node-a/server.log"
        let handle = try #require(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write(Data("line 3 from the node on the new appdata\n".utf8))
        try handle.close()
        let grown = try await Migrate.run(["--delete-originals", "--apply"] + source)
        #expect(grown.status == 0, "\(grown.output)")
        #expect(grown.output.contains("logs/node-a/server.log"))
        #expect(!FileManager.default.fileExists(atPath: fixture.install + "/var"  + "/plugins"))
    }

    @Test("a second run never overwrites what changed in the destination since: kept if only the copy changed, refused if both did")
    func secondRunKeepsNewerCopies() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall()
        let arguments = ["--from-install", fixture.install, "--to", fixture.destination, "--apply"]
        #expect(try await Migrate.run(arguments).status == 0)

        // A node on the new appdata appends to its log; the old installation's log is unchanged.
        let log = fixture.destination + "/logs/node-a/server.log"
        try Fixture.write(log, "line 1\nline 2\nline 3, written on the new appdata\n")
        let again = try await Migrate.run(arguments)
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("1 files changed in the destination since they were migrated are kept as they are (logs/node-a/server.log)"))
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("line 3"))

        // Both sides changed: refused, nothing overwritten.
        try Fixture.write(fixture.install + "/logs/node-a/server.log", "line 1\nline 2\nthe old node wrote this\n", modified: 1_100_000_000)
        let conflict = try await Migrate.run(arguments)
        #expect(conflict.status == 1, "\(conflict.output)")
        #expect(conflict.output.contains("logs/node-a/server.log has changed both in the source and in"))
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("line 3"))
    }
}
