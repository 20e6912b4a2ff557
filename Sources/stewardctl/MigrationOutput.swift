import StewardModel
import Foundation
import StewardAppData

/// How `appdata migrate` and `appdata verify` print for people; JSON shapes are in MigrationOutput+JSON.
struct MigrationOutput {
    let json: Bool

    func line(_ text: String) {
        if !json { print(text) }
    }

    func plan(_ plan: MigrationPlan, applying: Bool) {
        guard !json else { return }
        print("Migration plan\(applying ? "" : " (dry run)"): \(plan.source.kind.rawValue) \(plan.source.path) -> \(plan.destination)")
        print("  status: \(Self.status(plan))")
        if case .originalsDeleted = plan.status {
            if plan.properties != nil { properties(plan.properties) }
            for refusal in plan.refusals { print("  REFUSED: \(refusal.message)") }
            return
        }
        if !plan.items.isEmpty {
            let rows = plan.items.map { item -> [String] in
                guard item.present else { return [item.item, "-", "-", "absent: skipped"] }
                var destination = item.destination
                if item.keepsOriginal { destination += "  (copied; the original stays)" }
                if item.verifiedFiles > 0 { destination += "  (\(item.verifiedFiles) files already verified)" }
                return [item.item, String(item.files), ByteCount.format(item.bytes), destination]
            }
            print(Table.render(["ITEM", "FILES", "SIZE", "DESTINATION"], rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
        let folders = plan.items.reduce(0) { $0 + $1.folders }
        let links = plan.items.reduce(0) { $0 + $1.links }
        print("  total: \(plan.totalFiles) files, \(folders) folders, \(links) links, \(ByteCount.format(plan.totalBytes)); to copy: \(plan.totalFiles - plan.verifiedFiles) files, \(ByteCount.format(plan.totalBytes - plan.verifiedBytes))")
        if !plan.missing.isEmpty { print("  absent from the source (reported, not an error): \(plan.missing.joined(separator: ", "))") }
        if !plan.skipped.isEmpty { print("  skipped (file system bookkeeping, not migrated): \(plan.skipped.joined(separator: ", "))") }
        if let space = plan.space {
            print("  space: \(ByteCount.format(space.neededBytes)) needed, \(ByteCount.format(space.availableBytes)) free at \(space.measured)")
        }
        print("  running servers: lock files checked under \(plan.source.path)/logs; database \(plan.database.summary)")
        properties(plan.properties)
        for note in plan.notes { print("  note: \(note)") }
        for refusal in plan.refusals { print("  REFUSED: \(refusal.message)") }
    }

    static func status(_ plan: MigrationPlan) -> String {
        switch plan.status {
        case .fresh: return "new migration"
        case .resuming: return "carrying on from an earlier run (\(plan.verifiedFiles) of \(plan.totalFiles) files already verified)"
        case .complete(let time): return "already complete (\(time)); a run only confirms it"
        case .originalsDeleted(let time): return "finished, and its originals were deleted (\(time)): nothing to do"
        }
    }

    func properties(_ change: MigrationPlan.PropertiesChange?) {
        guard let change else {
            print("  properties: none given (--properties FILE sets server.appdata.dir); set server.appdata.dir yourself")
            return
        }
        if change.edit.isUnchanged {
            print("  properties: \(change.file) already sets server.appdata.dir=\(change.edit.newValue): unchanged")
            return
        }
        if let lines = change.edit.replacedLines {
            let where_ = lines.count == 1 ? "line \(lines.lowerBound)" : "lines \(lines.lowerBound)-\(lines.upperBound)"
            print("  properties: \(change.file), \(where_):")
            for removed in change.edit.removedLines { print("    - \(removed)") }
        } else {
            print("  properties: \(change.file), appended (the key is absent):")
        }
        print("    + \(change.edit.addedLine)")
        print("    backup: \(change.backup); every other line stays as it is")
    }

    func summary(_ summary: MigrationRunner.Summary, plan: MigrationPlan, elapsed: Duration) {
        if summary.nothingToDo {
            print("nothing to do: \(Self.status(plan))")
            return
        }
        if case .originalsDeleted = plan.status {
            if summary.propertiesChanged, let change = plan.properties, let backup = summary.propertiesBackup {
                print("\(change.file): server.appdata.dir=\(plan.destination) (backup \(backup)); the migration itself was already finished")
            }
            return
        }
        let seconds = elapsed.inSeconds
        let took = seconds < 60 ? String(format: "%.1fs", seconds) : ProgressMeter.duration(seconds)
        print("done in \(took): copied and verified \(summary.copiedFiles) files (\(ByteCount.format(summary.copiedBytes))), \(summary.skippedFiles) already verified (\(ByteCount.format(summary.skippedBytes))), \(summary.links) links, \(summary.folders) folders")
        if !summary.createdLayoutFolders.isEmpty { print("created to complete the layout: \(summary.createdLayoutFolders.joined(separator: ", "))") }
        if summary.propertiesChanged, let change = plan.properties, let backup = summary.propertiesBackup {
            print("\(change.file): server.appdata.dir=\(plan.destination) (backup \(backup))")
        }
        print("originals kept in \(plan.source.path); check with `stewardctl appdata verify \(plan.destination)`, start the node, then delete them with --delete-originals --apply")
    }

    func deletion(_ plan: OriginalsRemover.Plan, source: MigrationSource, destination: String, applying: Bool) {
        guard !json else { return }
        if let deleted = plan.alreadyDeleted {
            print("nothing to do: the originals of the migration of \(source.path) into \(destination) were already deleted (\(deleted))")
            return
        }
        print("Delete originals\(applying ? "" : " (dry run)"): \(source.kind.rawValue) \(source.path), migrated into \(destination)")
        print("  \(plan.files.count) files and links (\(ByteCount.format(plan.bytes))), \(plan.folders.count) folders")
        if !plan.kept.isEmpty { print("  kept (the installation needs them): \(plan.kept.joined(separator: ", "))") }
        if !plan.grownCopies.isEmpty { print("  logs grown since the migration (a node ran on the new appdata): \(plan.grownCopies.joined(separator: ", "))") }
        if !plan.rotatedCopies.isEmpty { print("  logs rotated or removed on the new appdata since the migration (their originals are intact): \(plan.rotatedCopies.joined(separator: ", "))") }
        for refusal in plan.refusals { print("  REFUSED: \(refusal.message)") }
    }

    func verification(_ report: MigrationVerifier.Report) {
        print("appdata \(report.root): " + (report.ok ? "OK" : "\(report.problems.count) problem(s)"))
        print("  cluster.id: \(report.clusterID ?? "none yet (the first node started on it writes it, or --claim-appdata)")")
        if !report.missingOptionalFolders.isEmpty {
            print("  folders a node will create: \(report.missingOptionalFolders.joined(separator: ", "))")
        }
        if report.hasJournal {
            print("  migrated from \(report.source ?? "?"), \(report.complete ? "complete" : "NOT complete")")
            print("  checked \(report.checkedFiles) files (\(ByteCount.format(report.checkedBytes))) and \(report.checkedLinks) links against the journal")
        } else {
            print("  no migration journal: only the layout was checked")
        }
        if !report.grown.isEmpty { print("  logs grown since the migration (their migrated part is intact): \(report.grown.joined(separator: ", "))") }
        if !report.rotated.isEmpty { print("  logs rotated or removed by a node since the migration (their originals hold the migrated bytes): \(report.rotated.joined(separator: ", "))") }
        for problem in report.problems { print("  PROBLEM: \(problem)") }
    }

    static func refusalMessage(_ refusals: [MigrationError]) -> String {
        guard refusals.count > 1 else { return "refused: " + (refusals.first?.message ?? "") + "\nNothing was changed." }
        return "refused (\(refusals.count) reasons):\n" + refusals.map { "  - " + $0.message }.joined(separator: "\n") + "\nNothing was changed."
    }
}
