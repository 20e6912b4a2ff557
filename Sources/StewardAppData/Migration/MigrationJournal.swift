import Foundation

/// The journal in `NEW/.steward-migration/journal`: append-only lines, each written with one
/// `write(2)` and fsynced, that record which files are verified in place. A run killed at any
/// moment leaves at worst a torn last line, which reading ignores and the next append cuts off.
public enum MigrationJournal {
    public static func folder(in destination: String) -> String { destination + "/" + MigrationSource.journalFolder }
    public static func path(in destination: String) -> String { folder(in: destination) + "/journal" }

    /// The journal is first written under this name, then renamed to `journal`.
    static let temporaryName = ".journal.steward-partial"

    /// A name a journal that was never completed leaves in the journal folder (this version's
    /// temporary name, or an `AtomicFile` temporary `.journal.tmp-…` of an earlier one).
    static func isLeftover(_ name: String) -> Bool { name.hasPrefix(".journal.") }

    /// True when `destination` holds a journal folder but no journal, only leftovers of one (a run
    /// stopped between creating the folder and writing the journal): it counts as empty.
    static func isUnstarted(destination: String) -> Bool {
        guard !FileManager.default.fileExists(atPath: path(in: destination)),
              let listing = FolderListing.read(folder(in: destination)) else { return false }
        return listing.invalidNames == 0 && listing.names.allSatisfy(isLeftover)
    }

    /// What the journal says, the last record for each path winning.
    public struct State: Sendable {
        public var sourceKind: MigrationSource.Kind?
        public var sourcePath: String?
        public var files: [String: JournalRecord.File] = [:]
        public var links: [String: String] = [:]
        public var directories: Set<String> = []
        public var layout: Set<String> = []
        /// Set when the last run got past copying (every file verified, folders finished).
        public var copied: Bool = false
        /// The time the last run completed; nil while a run has begun and not completed.
        public var completed: String?
        public var propertiesChanged: [(file: String, backup: String)] = []
        public var deleteStarted: String?
        public var originalsDeleted: String?

        public func belongs(to source: MigrationSource) -> Bool {
            sourceKind == source.kind && sourcePath == source.path
        }
    }

    /// Reads the journal of `destination`; nil when there is none.
    public static func read(destination: String) throws(MigrationError) -> State? {
        let path = path(in: destination)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MigrationError(.journalDamaged, "cannot read the migration journal \(path); check its permissions")
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        lines.removeLast()  // the part after the last line break: empty, or a line torn by a crash
        var state = State()
        for (index, bytes) in lines.enumerated() {
            guard let text = String(validating: bytes, as: UTF8.self), let record = JournalRecord(line: text),
                  (index == 0) == (record == .header) else {
                throw MigrationError(.journalDamaged,
                    "line \(index + 1) of the migration journal \(path) is unreadable; the journal was changed by hand or by another program. Move \(destination) aside and migrate into a new, empty folder")
            }
            state.apply(record)
        }
        return state
    }
}

extension MigrationJournal.State {
    mutating func apply(_ record: JournalRecord) {
        switch record {
        case .header: break
        case .source(let kind, let path): (sourceKind, sourcePath) = (kind, path)
        case .begin: (copied, completed) = (false, nil)
        case .file(let file): files[file.relative] = file
        case .link(let relative, let target): links[relative] = target
        case .directory(let relative): directories.insert(relative)
        case .layout(let relative): layout.insert(relative)
        case .copied: copied = true
        case .properties(let file, let backup, _): propertiesChanged.append((file, backup))
        case .complete(let time): completed = time
        case .deleteStarted(let time): deleteStarted = time
        case .originalsDeleted(let time): originalsDeleted = time
        }
    }
}

/// Appends to the journal. The journal is created whole (header and source, by temporary file
/// and rename), so it never exists without saying which source it belongs to. The writer holds an
/// exclusive lock on it, so two runs never write into one destination at once.
final class JournalWriter {
    let path: String
    private let descriptor: Int32

    init(destination: String, source: MigrationSource, killHook: TestKillHook) throws(MigrationError) {
        let folder = MigrationJournal.folder(in: destination)
        path = MigrationJournal.path(in: destination)
        if TreeEntry.stat(folder) == nil {
            try MigrationRunner.makeFolder(folder, mode: 0o755)
            killHook.step("journal-folder-created")
        }
        if !FileManager.default.fileExists(atPath: path) {
            try Self.create(path, source: source, killHook: killHook)
        }
        descriptor = open(path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io("open the journal", path, errno: errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK {
                throw MigrationError(.migrationRunning,
                    "another migration into \(destination) is running now (it holds \(path)); wait for it to end, then run the command again")
            }
            throw MigrationError(.lockCheckFailed,
                "cannot lock the migration journal \(path): \(String(cString: strerror(code))); check that the storage supports locks (for NFS: the lock service), then run the command again")
        }
        do {
            try cutTornLine()
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// Writes the journal's first lines under a temporary name, then renames it into place. A run
    /// stopped before the rename leaves only that temporary file, which this removes.
    private static func create(_ path: String, source: MigrationSource, killHook: TestKillHook) throws(MigrationError) {
        let folder = PathRules.parent(path)
        for name in FolderListing.read(folder)?.names ?? [] where MigrationJournal.isLeftover(name) {
            guard unlink(folder + "/" + name) == 0 || errno == ENOENT else { throw .io("remove", folder + "/" + name, errno: errno) }
        }
        let temporary = folder + "/" + MigrationJournal.temporaryName
        let text = Array([JournalRecord.header, .source(source.kind, source.path)].map { $0.line + "\n" }.joined().utf8)
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw .io("create the journal", temporary, errno: errno) }
        if let failure = text.withUnsafeBytes({ FileWriting.writeAll(output, $0) }) {
            close(output)
            unlink(temporary)
            throw .io("write the journal", temporary, errno: failure)
        }
        killHook.step("journal-temp-written")
        let synced = fsync(output) == 0 ? 0 : errno
        let closed = close(output) == 0 ? 0 : errno
        if synced != 0 || closed != 0 {
            unlink(temporary)
            throw .io("write the journal", temporary, errno: synced != 0 ? synced : closed)
        }
        guard rename(temporary, path) == 0 else { throw .io("rename into place", path, errno: errno) }
        do {
            try AtomicFile.syncDirectory(folder)
        } catch {
            throw .io("fsync the folder", folder, errno: error.code)
        }
    }

    deinit { close(descriptor) }

    /// A crash in the middle of an append leaves a last line without its line break: drop it.
    private func cutTornLine() throws(MigrationError) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .io("read", path, errno: errno) }
        var end = Int64(info.st_size)
        var byte: UInt8 = 0
        while end > 0, pread(descriptor, &byte, 1, off_t(end - 1)) == 1, byte != UInt8(ascii: "\n") { end -= 1 }
        if end != Int64(info.st_size) {
            guard ftruncate(descriptor, off_t(end)) == 0, fsync(descriptor) == 0 else { throw .io("repair", path, errno: errno) }
        }
    }

    func append(_ record: JournalRecord) throws(MigrationError) {
        let bytes = Array((record.line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw .io("append to the journal", path, errno: written < 0 ? errno : ENOSPC)
        }
        guard fsync(descriptor) == 0 else { throw .io("fsync the journal", path, errno: errno) }
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}
