import Foundation
import StewardModel

/// Builds the `MigrationPlan`: looks at the source, the destination, the journal and the
/// properties file, and changes nothing. Every refusal is found here, before the first write.
public struct MigrationPlanner: Sendable {
    public let source: MigrationSource
    public let destination: String
    public let propertiesFile: String?

    public init(source: MigrationSource, destination: String, propertiesFile: String?) {
        self.source = source
        self.destination = PathRules.absolute(destination)
        self.propertiesFile = propertiesFile.map(PathRules.absolute)
    }

    /// The cluster the source appdata belongs to (nil for an installation or an unclaimed appdata).
    public func sourceClusterID() -> ClusterID? {
        guard source.kind == .appData else { return nil }
        return try? AppDataVerifier(layout: AppDataLayout(root: source.path)).readClusterID()
    }

    public func plan(database: DatabaseStatus) -> MigrationPlan {
        var plan = MigrationPlan(source: source, destination: destination, database: database)
        if let refusal = checkPaths() {
            plan.refusals.append(refusal)
            return plan
        }
        do {
            plan.journal = try MigrationJournal.read(destination: destination)
        } catch {
            plan.refusals.append(error)
            return plan
        }
        if let journal = plan.journal, journal.belongs(to: source), let deleted = journal.originalsDeleted {
            // Nothing is left to copy, but a properties file given now still gets pointed at the destination.
            plan.status = .originalsDeleted(deleted)
            do {
                plan.properties = try propertiesChange(&plan.notes)
            } catch {
                plan.refusals.append(error)
            }
            return plan
        }
        if let refusal = checkSourceExists() ?? checkNesting() {
            plan.refusals.append(refusal)
            return plan
        }
        plan.refusals += RunningNodeCheck.refusals(roots: [source.path, destination])
        if let refusal = database.refusal { plan.refusals.append(refusal) }
        if let refusal = checkDestination(plan.journal) { plan.refusals.append(refusal) }
        scan(into: &plan)
        do {
            plan.properties = try propertiesChange(&plan.notes)
        } catch {
            plan.refusals.append(error)
        }
        checkSpace(&plan)
        return plan
    }

    /// Walks every item, counts it, and (when `deciding`) decides for each file whether to copy it.
    func scan(into plan: inout MigrationPlan, deciding: Bool = true) {
        var result = TreeScanner.Result()
        let items: [String]
        do {
            items = try source.items()
        } catch {
            plan.refusals.append(error)
            return
        }
        plan.skipped = source.skippedEntries()
        let linkedParents = symlinkedParents(of: items)
        result.problems += linkedParents.refusals
        let present = items.filter { TreeEntry.stat(PathRules.join(source.path, $0)) != nil }
        let scanner = TreeScanner(
            source: source, realRoot: PathRules.realPath(source.path) ?? source.path,
            copiedRoots: source.kind == .appData ? [""] : present, destination: destination)
        let records = plan.journal.flatMap { $0.belongs(to: source) ? $0.files : nil } ?? [:]
        for item in items {
            var summary = MigrationPlan.Item(
                item: item, present: present.contains(item), destination: PathRules.join(destination, item),
                keepsOriginal: source.keepsOriginal(item))
            let first = result.entries.count
            if summary.present, !linkedParents.items.contains(item) { scanner.scan(item: item, into: &result) }
            for entry in result.entries[first...] {
                switch entry.kind {
                case .directory: summary.folders += 1
                case .symlink: summary.links += 1
                case .file:
                    summary.files += 1
                    summary.bytes += entry.size
                    guard deciding else { continue }
                    let decision = CopyDecision.decide(entry, record: records[entry.relative], destination: destination)
                    plan.decisions[entry.relative] = decision
                    if case .conflict(let message) = decision { result.problems.append(MigrationError(.conflict, message)) }
                    if decision == .verified || decision == .keptNewer {
                        summary.verifiedFiles += 1
                        summary.verifiedBytes += entry.size
                    }
                }
            }
            plan.items.append(summary)
        }
        plan.entries = result.entries
        plan.refusals += Self.grouped(result.problems)
        if !plan.keptNewer.isEmpty {
            let shown = plan.keptNewer.prefix(5).joined(separator: ", ") + (plan.keptNewer.count > 5 ? ", …" : "")
            plan.notes.append("\(plan.keptNewer.count) files changed in the destination since they were migrated are kept as they are (\(shown))")
        }
        if let journal = plan.journal, journal.belongs(to: source) {
            let pending = plan.entries.contains { entry in
                entry.kind == .directory ? !journal.directories.contains(entry.relative) : plan.needsWriting(entry)
            }
            if !pending, journal.copied, let completed = journal.completed {
                plan.status = .complete(completed)
            } else {
                plan.status = .resuming
            }
        }
    }

    /// Many problems of one kind become one refusal listing the first few.
    static func grouped(_ problems: [MigrationError]) -> [MigrationError] {
        var order: [MigrationError.Code] = []
        var byCode: [MigrationError.Code: [MigrationError]] = [:]
        for problem in problems {
            if byCode[problem.code] == nil { order.append(problem.code) }
            byCode[problem.code, default: []].append(problem)
        }
        return order.compactMap { code in
            guard let all = byCode[code], let first = all.first else { return nil }
            guard all.count > 1 else { return first }
            let shown = all.prefix(10).map(\.message).joined(separator: "\n  ")
            let more = all.count > 10 ? "\n  … and \(all.count - 10) more" : ""
            return MigrationError(code, "\(all.count) problems:\n  \(shown)\(more)")
        }
    }

    func checkSpace(_ plan: inout MigrationPlan) {
        let pending = plan.entries.filter { $0.kind == .directory || plan.needsWriting($0) }
        guard let space = SpaceCheck.measure(destination: destination, pending: pending) else {
            plan.notes.append("cannot measure the free space at \(destination) (statvfs failed)")
            return
        }
        plan.space = space
        if space.readOnly {
            plan.refusals.append(MigrationError(.readOnlyDestination,
                "the destination \(destination) is on a read-only file system (\(space.measured)); mount the shared storage read-write, then run the command again"))
        } else if !space.writable {
            plan.refusals.append(MigrationError(.readOnlyDestination,
                "this user may not write in \(space.measured); run the migration as the Steward service user or root, or fix the folder's owner"))
        }
        guard !space.isEnough else { return }
        if space.neededBytes > space.availableBytes {
            plan.refusals.append(MigrationError(.notEnoughSpace,
                "not enough free space at \(destination): the migration needs \(ByteCount.format(space.neededBytes)), \(space.measured) has \(ByteCount.format(space.availableBytes)) free. Grow the shared storage or free space there, then run the command again"))
        } else {
            plan.refusals.append(MigrationError(.notEnoughSpace,
                "not enough free inodes at \(destination): the migration creates \(space.neededInodes) entries, \(space.measured) allows \(space.availableInodes ?? 0) more"))
        }
    }
}
