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

        try await Migrate.expect(arguments, status: 0, saying: "(dry run)", "var/plugins", "absent from the source (reported, not an error): var/sa, conf/encryption.keystore, conf/collectors", "- server.appdata.dir = /\\", "+ server.appdata.dir = \(PropertiesEditor.escapeValue(fixture.destination))", "database unreachable")
        #expect(!FileManager.default.fileExists(atPath: fixture.destination))
        #expect(Fixture.bytes(fixture.properties) == original)
        #expect(try TreeSnapshot.take(fixture.install) == before)

        try await Migrate.expect(arguments + ["--apply"], status: 0, saying: "done in")

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

        try await Migrate.expectVerify(fixture.destination, status: 0, saying: "complete")

        // Run again: nothing is copied again, the properties file is left alone.
        try await Migrate.expect(arguments + ["--apply"], status: 0, saying: "copied and verified 0 files", "already sets server.appdata.dir")
        #expect(Fixture.bytes(fixture.properties) == edited)
    }

    @Test("--delete-originals: a dry run first, then only migrated items go (installed.version stays); run twice, the second is a no-op")
    func deleteOriginals() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall(skip: Self.skipped)
        let source = ["--from-install", fixture.install, "--to", fixture.destination]

        try await Migrate.expect(["--delete-originals", "--apply"] + source, status: 1, saying: "holds no migration")

        try await Migrate.expect(source + ["--apply"], status: 0)
        let migrated = try TreeSnapshot.take(fixture.destination)

        try await Migrate.expect(["--delete-originals"] + source, status: 0, saying: "nothing was deleted")
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/var/plugins/deploy-tools.jar"))

        try await Migrate.expect(["--delete-originals", "--apply"] + source, status: 0)
        for item in MigrationSource.installItems where item != "conf/installed.version" {
            #expect(!FileManager.default.fileExists(atPath: fixture.install + "/" + item), "\(item)")
        }
        #expect(Fixture.bytes(fixture.install + "/conf/installed.version") == Array("0.9.0\n".utf8))
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/bin/steward-server"))
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/conf/wrapper.conf"))
        #expect(try TreeSnapshot.take(fixture.destination) == migrated)

        try await Migrate.expect(["--delete-originals", "--apply"] + source, status: 0, saying: "nothing to do")
        #expect(try await Migrate.verify(fixture.destination).status == 0)
    }

    @Test("--delete-originals refuses when an original changed or a copy changed since the migration, and deletes nothing")
    func deleteRefusesChanges() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall()
        let source = ["--from-install", fixture.install, "--to", fixture.destination]
        try await Migrate.expect(source + ["--apply"], status: 0)

        try Fixture.write(fixture.install + "/var/sa/agents.json", "{\"agents\": [\"written after the migration\"]}\n")
        try await Migrate.expect(["--delete-originals", "--apply"] + source, status: 1, saying: "has changed since it was migrated")
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/var/plugins/deploy-tools.jar"))

        // Migrating again picks the change up; then a copy is damaged.
        try await Migrate.expect(source + ["--apply"], status: 0)
        try Fixture.write(fixture.destination + "/conf/collectors/cpu.yaml", "interval: 99s\n")
        try await Migrate.expect(["--delete-originals", "--apply"] + source, status: 1, saying: "no longer holds what was migrated")
        #expect(FileManager.default.fileExists(atPath: fixture.install + "/conf/collectors/cpu.yaml"))
        try await Migrate.expectVerify(fixture.destination, status: 1, saying: "conf/collectors/cpu.yaml has changed since the migration")

        // A log that a node appended to afterwards is fine: its migrated part is intact.
        try Fixture.write(fixture.destination + "/conf/collectors/cpu.yaml", "interval: 10s\n")
        let log = fixture.destination + "/logs/node-a/server.log"
        let handle = try #require(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write(Data("line 3 from the node on the new appdata\n".utf8))
        try handle.close()
        try await Migrate.expect(["--delete-originals", "--apply"] + source, status: 0, saying: "logs/node-a/server.log")
        #expect(!FileManager.default.fileExists(atPath: fixture.install + "/var"  + "/plugins"))
    }

    @Test("a second run never overwrites what changed in the destination since: kept if only the copy changed, refused if both did")
    func secondRunKeepsNewerCopies() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall()
        let arguments = ["--from-install", fixture.install, "--to", fixture.destination, "--apply"]
        try await Migrate.expect(arguments, status: 0)

        // A node on the new appdata appends to its log; the old installation's log is unchanged.
        let log = fixture.destination + "/logs/node-a/server.log"
        try Fixture.write(log, "line 1\nline 2\nline 3, written on the new appdata\n")
        try await Migrate.expect(arguments, status: 0, saying: "1 files changed in the destination since they were migrated are kept as they are (logs/node-a/server.log)")
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("line 3"))

        // Both sides changed: refused, nothing overwritten.
        try Fixture.write(fixture.install + "/logs/node-a/server.log", "line 1\nline 2\nthe old node wrote this\n", modified: 1_100_000_000)
        try await Migrate.expect(arguments, status: 1, saying: "logs/node-a/server.log has changed both in the source and in")
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("line 3"))
    }
}
