import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Carries out a plan without refusals. Each file is copied, verified and renamed into place,
/// then journaled; so a run killed at any moment, run again, skips what is verified, redoes what
/// is not, and never shows a partial file under a final name. The properties file changes last,
/// once every byte is in place, and the journal's `complete` line ends the run.
public struct MigrationRunner {
    public let plan: MigrationPlan
    public let killHook: TestKillHook
    public let observer: MigrationObserver

    public struct Summary: Sendable, Codable, Equatable {
        public var copiedFiles = 0
        public var copiedBytes: Int64 = 0
        /// Verified by an earlier run, so not copied again.
        public var skippedFiles = 0
        public var skippedBytes: Int64 = 0
        public var links = 0
        public var folders = 0
        public var createdLayoutFolders: [String] = []
        /// The backup of the properties file, when it was changed.
        public var propertiesBackup: String?
        public var propertiesChanged = false
        public var nothingToDo = false
    }

    public init(plan: MigrationPlan, killHook: TestKillHook = TestKillHook(), observer: @escaping MigrationObserver = { _ in }) {
        self.plan = plan
        self.killHook = killHook
        self.observer = observer
    }

    var destination: String { plan.destination }

    public func run() throws(MigrationError) -> Summary {
        if let refusal = plan.refusals.first { throw refusal }
        var summary = Summary()
        if case .originalsDeleted = plan.status {
            // Nothing left to copy; a properties file given now is still pointed at the destination.
            summary.nothingToDo = !plan.changesProperties
            if plan.changesProperties {
                let journal = try JournalWriter(destination: destination, source: plan.source, killHook: killHook)
                try updateProperties(journal, &summary)
            }
            return summary
        }
        let locks = try HeldNodeLocks(roots: [plan.source.path, destination])
        defer { locks.release() }
        if TreeEntry.stat(destination) == nil {
            try Self.makeFolders(destination)
            killHook.step("destination-created")
        }
        let journal = try JournalWriter(destination: destination, source: plan.source, killHook: killHook)
        killHook.step("journal-created")
        try journal.append(.begin(JournalWriter.now()))
        try removeTemporaries()
        observer(.started(files: plan.totalFiles, bytes: plan.totalBytes, verifiedFiles: plan.verifiedFiles, verifiedBytes: plan.verifiedBytes))
        observer(.phase("copying"))
        try copyEntries(journal, &summary)
        observer(.phase("finishing folders"))
        try createLayout(journal, &summary)
        try finishFolders(journal, &summary)
        try journal.append(.copied(files: plan.totalFiles, bytes: plan.totalBytes, time: JournalWriter.now()))
        try updateProperties(journal, &summary)
        try journal.append(.complete(JournalWriter.now()))
        killHook.step("complete")
        return summary
    }

    /// Points `server.appdata.dir` at the destination, last, and journals it.
    func updateProperties(_ journal: JournalWriter, _ summary: inout Summary) throws(MigrationError) {
        guard let change = plan.properties else { return }
        PropertiesWriter.removeTemporaries(for: change.realFile)
        guard !change.edit.isUnchanged else { return }
        observer(.phase("updating \(change.file)"))
        let backup = try PropertiesWriter(killHook: killHook).write(change)
        try journal.append(.properties(file: change.file, backup: backup, time: JournalWriter.now()))
        summary.propertiesBackup = backup
        summary.propertiesChanged = true
    }

    func copyEntries(_ journal: JournalWriter, _ summary: inout Summary) throws(MigrationError) {
        let copier = FileCopier(killHook: killHook, progress: { observer(.bytes($0)) })
        var preparedItems: Set<String> = []
        for entry in plan.entries {
            let item = plan.item(containing: entry.relative)?.item ?? entry.relative
            if preparedItems.insert(item).inserted { try createParents(of: item, journal, &summary) }
            let source = PathRules.join(plan.source.path, entry.relative)
            let final = PathRules.join(destination, entry.relative)
            switch entry.kind {
            case .directory:
                try ensureFolder(final, initialMode: 0o700)
            case .file:
                switch plan.decisions[entry.relative] ?? .copy {
                case .copy: break
                case .conflict(let message): throw MigrationError(.conflict, message)
                case .verified, .keptNewer:
                    summary.skippedFiles += 1
                    summary.skippedBytes += entry.size
                    observer(.fileDone(entry.relative, bytes: entry.size, skipped: true))
                    continue
                }
                observer(.copying(entry.relative))
                let record = try copier.copyFile(entry, from: source, to: final)
                try journal.append(.file(record))
                killHook.step("journal-appended")
                summary.copiedFiles += 1
                summary.copiedBytes += entry.size
                observer(.fileDone(entry.relative, bytes: entry.size, skipped: false))
            case .symlink:
                summary.links += 1
                guard !plan.isLinked(entry), let target = entry.linkTarget else { continue }
                try copier.copyLink(entry, to: final)
                try journal.append(.link(relative: entry.relative, target: target))
                killHook.step("journal-appended")
            }
        }
    }

    /// `mkdir -p`: the destination and any missing folder above it.
    static func makeFolders(_ path: String) throws(MigrationError) {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            if TreeEntry.stat(current) == nil { try makeFolder(current, mode: 0o755) }
        }
    }
}
