import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--delete-originals`: removes the source's migrated files, only when the journal shows a
/// completed migration, every original still matches what was copied (nothing was written to
/// the old place since, nothing new appeared there), and every copy still holds those bytes.
public struct OriginalsRemover {
    public let source: MigrationSource
    public let destination: String
    public let killHook: TestKillHook
    public let observer: MigrationObserver

    public struct Plan: Sendable {
        /// Set when an earlier run already deleted the originals: a second run does nothing.
        public internal(set) var alreadyDeleted: String?
        /// Files and links to delete, relative to the source.
        public internal(set) var files: [String] = []
        public internal(set) var bytes: Int64 = 0
        /// Folders to remove once empty, deepest first.
        public internal(set) var folders: [String] = []
        /// Migrated but kept, because the installation needs them.
        public internal(set) var kept: [String] = []
        /// Logs a node on the new appdata has appended to since (their migrated part is intact).
        public internal(set) var grownCopies: [String] = []
        /// Logs a node on the new appdata has rotated, rewritten or removed since (their originals
        /// still hold the migrated bytes).
        public internal(set) var rotatedCopies: [String] = []
        public internal(set) var refusals: [MigrationError] = []
    }

    public init(source: MigrationSource, destination: String, killHook: TestKillHook = TestKillHook(), observer: @escaping MigrationObserver = { _ in }) {
        self.source = source
        self.destination = PathRules.absolute(destination)
        self.killHook = killHook
        self.observer = observer
    }

    public func plan() -> Plan {
        var plan = Plan()
        let planner = MigrationPlanner(source: source, destination: destination, propertiesFile: nil)
        if let refusal = planner.checkPaths() {
            plan.refusals.append(refusal)
            return plan
        }
        let journal: MigrationJournal.State
        do {
            guard let read = try MigrationJournal.read(destination: destination), read.belongs(to: source) else {
                plan.refusals.append(MigrationError(.notMigrated,
                    "\(destination) holds no migration of \(source.path) (no journal of it in \(MigrationJournal.path(in: destination))); nothing is deleted. Check \(source.option) and --to"))
                return plan
            }
            journal = read
        } catch {
            plan.refusals.append(error)
            return plan
        }
        if let deleted = journal.originalsDeleted {
            plan.alreadyDeleted = deleted
            return plan
        }
        guard journal.completed != nil else {
            plan.refusals.append(MigrationError(.notMigrated,
                "the migration of \(source.path) into \(destination) has not completed; run it to the end first (the same command with --apply, without --delete-originals)"))
            return plan
        }
        if let refusal = planner.checkSourceExists() ?? planner.checkNesting() {
            plan.refusals.append(refusal)
            return plan
        }
        plan.refusals += RunningNodeCheck.refusals(roots: [source.path])
        compare(journal, &plan)
        return plan
    }

    /// Every original must be in the journal with the same bytes, and its copy must still hold them.
    func compare(_ journal: MigrationJournal.State, _ plan: inout Plan) {
        let scan = MigrationPlanner(source: source, destination: destination, propertiesFile: nil)
        var draft = MigrationPlan(source: source, destination: destination, database: .notChecked(""))
        scan.scan(into: &draft, deciding: false)
        var problems = draft.refusals.map {
            MigrationError(.originalsChanged, "\($0.message)\n(found in the source since the migration: migrate again before deleting)")
        }
        for entry in draft.entries {
            if draft.item(containing: entry.relative)?.keepsOriginal == true {
                if entry.kind != .directory { plan.kept.append(entry.relative) }
                continue
            }
            let original = PathRules.join(source.path, entry.relative)
            switch entry.kind {
            case .directory:
                if !entry.relative.isEmpty { plan.folders.append(entry.relative) }
            case .symlink:
                if let problem = compareLink(entry, journal.links[entry.relative], original: original) { problems.append(problem) }
                plan.files.append(entry.relative)
            case .file:
                guard let record = journal.files[entry.relative] else {
                    problems.append(MigrationError(.originalsChanged, "\(original) is not in the migration journal: it appeared after the migration"))
                    continue
                }
                problems += compare(entry, record, original: original, &plan)
                plan.files.append(entry.relative)
                plan.bytes += entry.size
            }
        }
        plan.folders.reverse()
        plan.refusals += MigrationPlanner.grouped(problems)
    }

    func compare(_ entry: TreeEntry, _ record: JournalRecord.File, original: String, _ plan: inout Plan) -> [MigrationError] {
        do {
            let sha256 = try FileDigest.sha256(path: original)
            guard sha256 == record.sha256 else {
                return [MigrationError(.originalsChanged,
                    "\(original) has changed since it was migrated (was something still writing there?); run the migration again (--apply) so that the copy holds it, then delete the originals")]
            }
            switch try CopyCheck.check(root: destination, record) {
            case .matches: return []
            case .grown:
                plan.grownCopies.append(record.relative)
                return []
            case .missing where CopyCheck.isNodeLog(record.relative), .changed where CopyCheck.isNodeLog(record.relative):
                // Rotated or removed by a node on the new appdata; the original, checked above, is what goes.
                plan.rotatedCopies.append(record.relative)
                return []
            case .missing, .notAFile, .changed:
                return [MigrationError(.copiesChanged,
                    "the copy \(PathRules.join(destination, record.relative)) no longer holds what was migrated; the original is kept. Run `stewardctl appdata verify \(destination)` to see every difference")]
            }
        } catch {
            return [error]
        }
    }

    /// A link is deleted only when the journal recorded it, its copy still has that target, and
    /// the original still points where the recorded target came from.
    func compareLink(_ entry: TreeEntry, _ recorded: String?, original: String) -> MigrationError? {
        guard let recorded else {
            return MigrationError(.originalsChanged, "\(original) is not in the migration journal: it appeared after the migration")
        }
        guard entry.linkTarget == recorded else {
            return MigrationError(.originalsChanged,
                "the link \(original) now points to \(TreeEntry.readLink(original) ?? "?"), not where it pointed when it was migrated; run the migration again (--apply) so that the copy matches, then delete the originals")
        }
        let copy = PathRules.join(destination, entry.relative)
        guard TreeEntry.readLink(copy) == recorded else {
            return MigrationError(.copiesChanged,
                "the copy \(copy) is no longer a symbolic link to \(recorded), as migrated; the original is kept. Run `stewardctl appdata verify \(destination)` to see every difference")
        }
        return nil
    }
}
