import Foundation
import StewardAppData
import StewardTesting
import Testing

@Suite("Refusals: a clear reason, exit status 1, and nothing changed")
struct RefusalTests {
    /// Runs the migration with --apply and checks that it refused, saying each of `messages`, and changed nothing.
    func expectRefusal(_ fixture: Fixture, from: [String], to destination: String, _ messages: String...,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let properties = try fixture.writeProperties(appDataDir: fixture.appData)
        let sourceRoot = from[1]
        let sourceBefore = try TreeSnapshot.take(sourceRoot)
        let destinationBefore = try TreeSnapshot.take(destination)
        let result = try await Migrate.run(from + ["--to", destination, "--properties", fixture.properties, "--apply"])
        #expect(result.status == 1, "\(result.output)", sourceLocation: sourceLocation)
        for message in messages + ["Nothing was changed."] {
            #expect(result.output.contains(message), "\(result.output)", sourceLocation: sourceLocation)
        }
        #expect(try TreeSnapshot.take(sourceRoot) == sourceBefore, sourceLocation: sourceLocation)
        #expect(try TreeSnapshot.take(destination) == destinationBefore, sourceLocation: sourceLocation)
        #expect(Fixture.bytes(fixture.properties) == properties, sourceLocation: sourceLocation)
    }

    @Test("a symbolic link that points outside the source is refused; links inside it are fine")
    func escapingSymlink() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        try Fixture.link(fixture.appData + "/var/plugins/outside", to: "/etc/hostname")
        try Fixture.link(fixture.appData + "/var/sa/sneaky", to: "../../../install")
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.destination,
                                "is a symbolic link to /etc/hostname, outside the appdata folder", "2 problems")
        #expect(!FileManager.default.fileExists(atPath: fixture.destination))
    }

    @Test("a relative link that leaves the source on its way and comes back in is refused: it would dangle in the new folder")
    func linkThroughTheParent() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        // From var/sa: up to the folder above "old appdata", then back into it.
        try Fixture.link(fixture.appData + "/var/sa/back in", to: "../../../old appdata/var/sa/agents.json")
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.destination,
                                "is a symbolic link to ../../../old appdata/var/sa/agents.json, which passes outside the appdata folder",
                                "ln -sfn 'agents.json'")
        #expect(!FileManager.default.fileExists(atPath: fixture.destination))
    }

    @Test("an installation folder above migrated items that is a symbolic link is refused, naming it")
    func symlinkedParentFolder() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall()
        let elsewhere = fixture.folder.file("data/var")
        try FileManager.default.createDirectory(atPath: fixture.folder.file("data"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: fixture.install + "/var", toPath: elsewhere)
        try Fixture.link(fixture.install + "/var", to: elsewhere)
        try await expectRefusal(fixture, from: ["--from-install", fixture.install], to: fixture.destination,
                                "\(fixture.install)/var is a symbolic link to \(elsewhere), and the migrated var/plugins, var/repository, var/sa lie below it")
        #expect(!FileManager.default.fileExists(atPath: fixture.destination))
        #expect(FileManager.default.fileExists(atPath: elsewhere + "/plugins/deploy-tools.jar"))
    }

    @Test("an installation link into a part of the install that is not migrated is refused")
    func installLinkOutsideItems() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeInstall()
        try Fixture.link(fixture.install + "/var/plugins/tool", to: "../../bin/steward-server")
        try await expectRefusal(fixture, from: ["--from-install", fixture.install], to: fixture.destination, "outside the migrated items of")
    }

    @Test("the destination inside the source, the source inside the destination, or the same folder")
    func nested() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.appData + "/var/new", "is inside the source")
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.folder.path, "is inside the destination")
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.appData + "/var/..", "are the same folder")
        // Through a symbolic link too.
        try Fixture.link(fixture.folder.file("alias"), to: fixture.appData)
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.folder.file("alias/new"), "is inside the source")
    }

    @Test("/ and empty paths", arguments: [
        (["--from-appdata", "/"], "/tmp/steward-never-created", "refusing to use / as the source"),
        (["--from-appdata", ""], "/tmp/steward-never-created", "empty path"),
        (["--from-install", "/tmp"], "/", "refusing to use / as the destination"),
        (["--from-install", "/tmp"], "", "empty path"),
    ])
    func rootAndEmpty(_ source: [String], _ destination: String, _ message: String) async throws {
        try await Migrate.expect(source + ["--to", destination, "--apply"], status: 1, saying: message)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/steward-never-created"))
    }

    @Test("a destination holding another cluster's data, or anything but a partial migration of this source")
    func foreignDestination() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        try Fixture.write(fixture.destination + "/cluster.id", "0b7c2a9e-1111-4222-8333-944455556666\n")
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.destination, "holds the data of cluster 0b7c2a9e-1111-4222-8333-944455556666")
        try FileManager.default.removeItem(atPath: fixture.destination + "/cluster.id")
        try Fixture.write(fixture.destination + "/notes.txt", "someone's files\n")
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.destination, "is not empty: it holds 1 entries (notes.txt)")

        // A partial migration of another source is not this one's to finish.
        let other = fixture.folder.file("other appdata")
        try Fixture.write(other + "/conf/server/log4j.properties", "x=1\n")
        let elsewhere = fixture.folder.file("elsewhere")
        try await Migrate.expect(["--from-appdata", other, "--to", elsewhere, "--apply"], status: 0)
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: elsewhere, "holds a migration of appdata \(other)")
    }

    @Test("a running server (its lock held) on the source is refused")
    func runningServer() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let lock = try NodeLock.acquire(folder: fixture.appData + "/logs/node-a", owner: "node-a")
        try await expectRefusal(fixture, from: ["--from-appdata", fixture.appData], to: fixture.destination, "a Steward server is still running on this data (node node-a")
        withExtendedLifetime(lock) {}

        try fixture.makeInstall()
        let installLock = try NodeLock.acquire(folder: fixture.install + "/logs/node-a", owner: "node-a")
        try await expectRefusal(fixture, from: ["--from-install", fixture.install], to: fixture.destination, "still running")
        withExtendedLifetime(installLock) {}
    }

    @Test("a shared lock on a node's lock file is not a running server: the migration takes a shared lock itself")
    func sharedLockIsNotAServer() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        let lock = try Fixture.write(fixture.appData + "/logs/node-a/server.lock", "node-a pid 1\n")
        // What another migration's check holds for a moment: a shared lock on a read-only descriptor.
        // O_CLOEXEC: processes other tests start meanwhile must not inherit (and keep) the lock.
        let descriptor = open(lock, O_RDONLY | O_CLOEXEC)
        #expect(flock(descriptor, LOCK_SH | LOCK_NB) == 0)
        defer { close(descriptor) }
        try await Migrate.expect(fixture.fromAppData + ["--apply"], status: 0)
    }

    @Test("two runs into one destination at once: the second is refused while the first holds the journal")
    func concurrentRuns() async throws {
        let fixture = try await Fixture.migratedAppData()
        defer { fixture.remove() }
        let arguments = fixture.fromAppData + ["--apply"]
        let descriptor = open(MigrationJournal.path(in: fixture.destination), O_RDWR | O_CLOEXEC)
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        let second = try await Migrate.run(arguments)
        close(descriptor)
        #expect(second.status == 1, "\(second.output)")
        #expect(second.output.contains("another migration into \(fixture.destination) is running now"), "\(second.output)")
        try await Migrate.expect(arguments, status: 0)
    }

    @Test("a properties file that does not parse is refused before anything is copied")
    func badProperties() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.makeAppData()
        try Fixture.write(fixture.properties, "server.appdata.dir=\\uZZZZ\n")
        try await Migrate.expect(fixture.fromAppData + ["--properties", fixture.properties, "--apply"], status: 1, saying: "installed.properties:1: malformed \\uXXXX escape")
        #expect(!FileManager.default.fileExists(atPath: fixture.destination))
    }

    @Test("usage errors exit with 2, and the script's --help helps")
    func usage() async throws {
        let none = try await Binaries.stewardctl(["appdata", "migrate", "--to", "/tmp/x"])
        #expect(none.status == 2, "\(none.output)")
        #expect(none.output.contains("give exactly one source"))
        let both = try await Binaries.stewardctl(["appdata", "migrate", "--from-appdata", "a", "--from-install", "b", "--to", "c"])
        #expect(both.status == 2)
        let unknown = try await Binaries.stewardctl(["appdata", "migrate", "--frm-appdata", "a", "--to", "c"])
        #expect(unknown.status == 2)
        let script = Binaries.packageRoot + "/Scripts/migrate-appdata"
        let help = try await Shell.run(script, ["--help"], environment: ["STEWARDCTL": try Binaries.path("stewardctl")])
        #expect(help.output.contains("--from-install"))
        #expect(help.output.contains("run the same command again"))
        let viaScript = try await Shell.run(script, ["--to", "/tmp/x"], environment: ["STEWARDCTL": try Binaries.path("stewardctl")], allowFailure: true)
        #expect(viaScript.status == 2, "\(viaScript.output)")
    }
}
