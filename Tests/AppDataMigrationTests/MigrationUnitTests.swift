import Foundation
@testable import StewardAppData
import Synchronization
import Testing

@Suite("Migration parts that need no files: journal lines, progress, paths, the kill hook")
struct MigrationUnitTests {
    @Test("journal lines round-trip, whatever the path holds (tabs, newlines, %, non-ASCII)", arguments: [
        JournalRecord.header,
        .source(.install, "/opt/steward 1.0/é"),
        .file(.init(relative: "var/a\tb\nc%d é.jar", size: 12, modified: FileTime(seconds: 1_000_000_000, nanoseconds: 5),
                    sha256: String(repeating: "ab", count: 32))),
        .file(.init(relative: "logs/node-a/server.log", size: 0, modified: FileTime(seconds: -5, nanoseconds: 999_999_999),
                    sha256: String(repeating: "cd", count: 32),
                    stamp: CopyStamp(inode: 1 << 40, changed: FileTime(seconds: 1_700_000_000, nanoseconds: 42)))),
        .link(relative: "var/plugins/current", target: "../x/y"),
        .directory("logs/node-a"),
        .layout("conf/collectors"),
        .copied(files: 3, bytes: 1024, time: "2025-01-01T00:00:00.000Z"),
        .properties(file: "/etc/steward/installed.properties", backup: "/etc/steward/installed.properties.bak-20250101-000000", time: "t"),
        .complete("t"), .deleteStarted("t"), .originalsDeleted("t"),
    ])
    func journalRoundTrip(_ record: JournalRecord) {
        #expect(!record.line.contains("\n"))
        #expect(JournalRecord(line: record.line) == record)
    }

    @Test("reading a journal: a torn last line is ignored, a damaged line refuses")
    func journalReading() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: MigrationJournal.folder(in: folder), withIntermediateDirectories: true)
        let file = JournalRecord.File(relative: "a", size: 1, modified: FileTime(seconds: 1, nanoseconds: 2), sha256: String(repeating: "0", count: 64))
        let lines = [JournalRecord.header, .source(.appData, "/old"), .begin("t"), .file(file)].map { $0.line + "\n" }.joined()
        try (lines + "file\ttorn").write(toFile: MigrationJournal.path(in: folder), atomically: true, encoding: .utf8)
        let state = try #require(try MigrationJournal.read(destination: folder))
        #expect(state.files["a"] == file)
        #expect(state.belongs(to: MigrationSource(kind: .appData, path: "/old")))
        #expect(state.completed == nil)
        try (lines + "nonsense\n").write(toFile: MigrationJournal.path(in: folder), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.self) { try MigrationJournal.read(destination: folder) }
    }

    @Test("progress: files, bytes, rate and time left from events and their times")
    func progress() {
        var meter = ProgressMeter()
        meter.record(.started(files: 4, bytes: 400_000_000, verifiedFiles: 1, verifiedBytes: 100_000_000), now: 10)
        meter.record(.bytes(100_000_000), now: 11)
        meter.record(.fileDone("a", bytes: 100_000_000, skipped: false), now: 11)
        #expect(meter.doneFiles == 2)
        #expect(meter.doneBytes == 200_000_000)
        #expect(meter.rate == 100_000_000)
        #expect(meter.secondsLeft == 2)
        #expect(meter.line == "2/4 files, 190.7 MB of 381.5 MB, 95.4 MB/s, 2s left")
        #expect(ProgressMeter.duration(3725) == "1h02m")
        #expect(ProgressMeter.duration(61) == "1m01s")
    }

    @Test("paths: normal forms, inside-ness, / and empty")
    func paths() {
        #expect(PathRules.normalize("/a/./b/../c//d/") == "/a/c/d")
        #expect(PathRules.normalize("/../..") == "/")
        #expect(PathRules.isInside("/a/b", "/a"))
        #expect(!PathRules.isInside("/ab", "/a"))
        #expect(PathRules.isInside("/a", "/a"))
        #expect(PathRules.absolute("") == "")
        #expect(PathRules.resolved("/definitely/not/there") == "/definitely/not/there")
    }

    @Test("the kill hook parses N, NAME and NAME:N, and is off when unset")
    func killHookSpecification() {
        #expect(!TestKillHook(specification: nil).isArmed)
        #expect(!TestKillHook(specification: "").isArmed)
        #expect(TestKillHook(specification: "7").isArmed)
        #expect(TestKillHook(specification: "file-renamed:3").isArmed)
        // Steps that do not match do nothing (this process is still alive to say so).
        let hook = TestKillHook(specification: "file-renamed:3")
        hook.step("file-renamed")
        hook.step("file-created")
        hook.step("file-renamed")
    }

    @Test("the kill hook can stop instead of kill (stop:NAME), and says it is a test hook")
    func stopHookSpecification() {
        func parsed(_ specification: String) -> (String?, Int, Int32) {
            let hook = TestKillHook(specification: specification)
            return (hook.name, hook.occurrence, hook.signal)
        }
        #expect(parsed("stop:journal-created") == ("journal-created", 1, SIGSTOP))
        #expect(parsed("stop:file-chunk:2") == ("file-chunk", 2, SIGSTOP))
        #expect(parsed("file-chunk:2") == ("file-chunk", 2, SIGKILL))
        #expect(parsed("7") == (nil, 7, SIGKILL))
        #expect(!TestKillHook(specification: "stop:").isArmed)
        #expect(TestKillHook.environmentVariable.contains("TEST"))
    }

    @Test("node locks: a shared, non-blocking lock on a read-only descriptor; only EWOULDBLOCK means a server holds it, any other error names the file")
    func nodeLockErrors() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("locks-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/logs/node-a", withIntermediateDirectories: true)
        let lock = root + "/logs/node-a/server.lock"
        _ = FileManager.default.createFile(atPath: lock, contents: Data("node-a pid 1\n".utf8))

        let operations = Mutex<[Int32]>([])
        // What NFS answers when flock is emulated with fcntl and the lock cannot be taken that way.
        let badDescriptor: RunningNodeCheck.Locker = { _, operation in
            operations.withLock { $0.append(operation) }
            errno = EBADF
            return -1
        }
        let failed = #expect(throws: MigrationError.self) { try HeldNodeLocks(roots: [root], locker: badDescriptor) }
        #expect(failed?.code == .lockCheckFailed)
        #expect(failed?.message.contains(lock) == true)
        #expect(failed?.message.contains(String(cString: strerror(EBADF))) == true)
        #expect(RunningNodeCheck.refusals(roots: [root], locker: badDescriptor).map(\.code) == [.lockCheckFailed])
        #expect(operations.withLock { $0 } == [LOCK_SH | LOCK_NB, LOCK_SH | LOCK_NB])

        let busy: RunningNodeCheck.Locker = { _, _ in
            errno = EWOULDBLOCK
            return -1
        }
        let held = #expect(throws: MigrationError.self) { try HeldNodeLocks(roots: [root], locker: busy) }
        #expect(held?.code == .serverRunning)
        #expect(RunningNodeCheck.refusals(roots: [root], locker: busy).map(\.code) == [.serverRunning])

        // The real flock: a shared lock is taken, and another shared lock does not conflict with it.
        let locks = try HeldNodeLocks(roots: [root])
        #expect(RunningNodeCheck.refusals(roots: [root]).isEmpty)
        locks.release()
    }

    @Test("the shortest relative path between two places of one tree")
    func relativePaths() {
        #expect(PathRules.relative(from: "var/sa", to: "var/sa/agents.json") == "agents.json")
        #expect(PathRules.relative(from: "var/plugins/a/lib", to: "var/plugins/x.jar") == "../../x.jar")
        #expect(PathRules.relative(from: "", to: "conf/x") == "conf/x")
        #expect(PathRules.relative(from: "logs/node-a", to: "") == "../..")
    }

    @Test("copies a node may change after the migration: logs may grow, lock files are not compared")
    func tolerance() {
        #expect(CopyCheck.tolerance(for: "logs/node-a/server.log") == .appendOnly)
        #expect(CopyCheck.tolerance(for: "logs/node-a/server.lock") == .ignored)
        #expect(CopyCheck.tolerance(for: "conf/server/log4j.properties") == .exact)
        #expect(CopyCheck.tolerance(for: "var/logs/x") == .exact)
    }
}
