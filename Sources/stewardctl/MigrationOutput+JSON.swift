import Foundation
import StewardAppData

/// The `--json` shapes of `appdata migrate`.
extension MigrationOutput {
    struct Refusal: Encodable {
        let code: String
        let message: String
        init(_ error: MigrationError) {
            code = error.code.rawValue
            message = error.message
        }
    }

    struct Properties: Encodable {
        let file: String
        let unchanged: Bool
        let firstLine: Int?
        let lastLine: Int?
        let removedLines: [String]
        let addedLine: String
        let backup: String
    }

    struct MigrateResult: Encodable {
        let source: String
        let sourceKind: String
        let destination: String
        let status: String
        let items: [MigrationPlan.Item]
        let missing: [String]
        let skipped: [String]
        let totalFiles: Int
        let totalBytes: Int64
        let verifiedFiles: Int
        let verifiedBytes: Int64
        let properties: Properties?
        let database: String
        let space: SpaceEstimate?
        let notes: [String]
        let refusals: [Refusal]
        let applied: Bool
        let summary: MigrationRunner.Summary?

        init(plan: MigrationPlan, applied: Bool, summary: MigrationRunner.Summary?) {
            source = plan.source.path
            sourceKind = plan.source.kind.rawValue
            destination = plan.destination
            status = MigrationOutput.status(plan)
            items = plan.items
            missing = plan.missing
            skipped = plan.skipped
            (totalFiles, totalBytes) = (plan.totalFiles, plan.totalBytes)
            (verifiedFiles, verifiedBytes) = (plan.verifiedFiles, plan.verifiedBytes)
            properties = plan.properties.map { change in
                Properties(
                    file: change.file, unchanged: change.edit.isUnchanged,
                    firstLine: change.edit.replacedLines?.lowerBound, lastLine: change.edit.replacedLines?.upperBound,
                    removedLines: change.edit.removedLines, addedLine: change.edit.addedLine,
                    backup: summary?.propertiesBackup ?? change.backup)
            }
            database = plan.database.summary
            space = plan.space
            notes = plan.notes
            refusals = plan.refusals.map(Refusal.init)
            self.applied = applied
            self.summary = summary
        }
    }

    struct DeleteResult: Encodable {
        let alreadyDeleted: String?
        let files: Int
        let bytes: Int64
        let folders: Int
        let kept: [String]
        let grownCopies: [String]
        let rotatedCopies: [String]
        let refusals: [Refusal]
        let applied: Bool
        let deleted: Int

        init(_ plan: OriginalsRemover.Plan, applied: Bool, deleted: Int) {
            alreadyDeleted = plan.alreadyDeleted
            files = plan.files.count
            bytes = plan.bytes
            folders = plan.folders.count
            kept = plan.kept
            grownCopies = plan.grownCopies
            rotatedCopies = plan.rotatedCopies
            refusals = plan.refusals.map(Refusal.init)
            self.applied = applied
            self.deleted = deleted
        }
    }
}
