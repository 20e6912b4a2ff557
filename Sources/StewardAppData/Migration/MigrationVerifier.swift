import Foundation

/// `stewardctl appdata verify DIR`: the DESIGN §4 layout, and every migrated file's SHA-256
/// against the migration journal (when DIR was made by a migration).
public enum MigrationVerifier {
    public struct Report: Sendable, Codable, Equatable {
        public var root: String
        public var clusterID: String?
        public var missingOptionalFolders: [String] = []
        public var hasJournal = false
        public var source: String?
        public var complete = false
        public var checkedFiles = 0
        public var checkedBytes: Int64 = 0
        public var checkedLinks = 0
        /// Logs a node has appended to since the migration (their migrated part is intact).
        public var grown: [String] = []
        /// Logs a node has rotated, rewritten or removed since the migration, whose originals
        /// still hold the migrated bytes (or were deleted with the originals).
        public var rotated: [String] = []
        /// Everything wrong, one line each.
        public var problems: [String] = []

        public var ok: Bool { problems.isEmpty }
    }

    public static func verify(root given: String, observer: MigrationObserver = { _ in }) -> Report {
        let root = PathRules.absolute(given)
        var report = Report(root: root)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else {
            report.problems.append("\(root) does not exist or is not a folder")
            return report
        }
        for folder in AppDataLayout.requiredFolders where !isDirectory(PathRules.join(root, folder)) {
            report.problems.append("the required folder \(folder)/ is missing")
        }
        report.missingOptionalFolders = AppDataLayout.optionalFolders.filter { !isDirectory(PathRules.join(root, $0)) }
        do {
            report.clusterID = try AppDataVerifier(layout: AppDataLayout(root: root)).readClusterID()?.description
        } catch {
            report.problems.append(error.description)
        }
        let journal: MigrationJournal.State?
        do {
            journal = try MigrationJournal.read(destination: root)
        } catch {
            report.problems.append(error.message)
            return report
        }
        guard let journal else { return report }  // no migration, so no partial files of one
        let migrated = Set(journal.files.keys).union(journal.links.keys).union(journal.directories)
        for partial in TemporaryFiles.find(under: root, isMigrated: migrated.contains) {
            report.problems.append("\(partial) is a partial file left by an interrupted migration; run the migration again to finish it")
        }
        report.hasJournal = true
        report.source = journal.sourcePath.map { "\(journal.sourceKind?.rawValue ?? "?") \($0)" }
        report.complete = journal.completed != nil
        if !report.complete {
            report.problems.append("the migration into \(root) has not completed; run the same `stewardctl appdata migrate … --apply` again to finish it")
        }
        checkFiles(journal, &report, observer)
        for (relative, target) in journal.links.sorted(by: { $0.key < $1.key }) {
            report.checkedLinks += 1
            if TreeEntry.readLink(PathRules.join(root, relative)) != target {
                report.problems.append("\(relative) should be a symbolic link to \(target)")
            }
        }
        for relative in journal.directories.union(journal.layout).sorted() where !isDirectory(PathRules.join(root, relative)) {
            report.problems.append("the folder \(relative)/ is missing")
        }
        return report
    }

    static func checkFiles(_ journal: MigrationJournal.State, _ report: inout Report, _ observer: MigrationObserver) {
        let records = journal.files.values.sorted { $0.relative < $1.relative }
        let total = records.reduce(Int64(0)) { $0 + $1.size }
        observer(.started(files: records.count, bytes: total, verifiedFiles: 0, verifiedBytes: 0))
        for record in records {
            observer(.copying(record.relative))
            do {
                switch try CopyCheck.check(root: report.root, record) {
                case .matches: break
                case .grown: report.grown.append(record.relative)
                case .missing where isRotatedLog(record, journal), .changed where isRotatedLog(record, journal):
                    report.rotated.append(record.relative)
                case .missing: report.problems.append("\(record.relative) is missing")
                case .notAFile: report.problems.append("\(record.relative) is no longer a regular file")
                case .changed(let found):
                    report.problems.append("\(record.relative) has changed since the migration (SHA-256 \(found), journal \(record.sha256))")
                }
            } catch {
                report.problems.append(error.message)
            }
            report.checkedFiles += 1
            report.checkedBytes += record.size
            observer(.bytes(record.size))
            observer(.fileDone(record.relative, bytes: record.size, skipped: false))
        }
    }

    /// True for a node's log that a node on the new folder has rotated, rewritten or removed, while
    /// its original still holds the migrated bytes (or was deleted, after every copy was checked).
    static func isRotatedLog(_ record: JournalRecord.File, _ journal: MigrationJournal.State) -> Bool {
        guard CopyCheck.isNodeLog(record.relative) else { return false }
        if journal.originalsDeleted != nil { return true }
        guard let source = journal.sourcePath else { return false }
        return (try? FileDigest.sha256(path: PathRules.join(source, record.relative))) == record.sha256
    }

    static func isDirectory(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }
}
