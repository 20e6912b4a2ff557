import ArgumentParser
import Foundation
import StewardAppData

struct AppDataMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move an appdata folder, or an older installation's data, to a new (shared) appdata folder.",
        discussion: """
            Prints the plan and changes nothing unless --apply is given. Files are copied to a \
            temporary name, fsynced, checked by SHA-256 and renamed into place; a journal in \
            DEST/.steward-migration/ records each one, so an interrupted run is finished by running \
            the same command again. The originals stay until --delete-originals --apply.

            Refuses (exit 1, nothing changed) while a server runs on the data, when DEST holds \
            other data, is inside the source (or around it), is read-only or too small, and when \
            the source has symbolic links that point outside it. See docs/appdata-migration.md.
            """)

    @Option(name: .customLong("from-appdata"), help: ArgumentHelp("An existing appdata folder to move.", valueName: "dir"))
    var fromAppData: String?

    @Option(name: .customLong("from-install"), help: ArgumentHelp("An older installation whose var/, logs/, conf/ and patches/ data to move.", valueName: "dir"))
    var fromInstall: String?

    @Option(name: .customLong("to"), help: ArgumentHelp("The new appdata folder, usually on the shared storage.", valueName: "dir"))
    var destination: String

    @Option(help: ArgumentHelp("The node's installed.properties: server.appdata.dir is set to the new folder (a backup is kept).", valueName: "file"))
    var properties: String?

    @Flag(help: "Carry the plan out (without it, only print it).")
    var apply = false

    @Flag(name: .customLong("delete-originals"), help: "Delete the originals of a completed, verified migration (with --apply).")
    var deleteOriginals = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (fromAppData == nil) != (fromInstall == nil) else {
            throw ValidationError("give exactly one source: --from-appdata DIR or --from-install DIR")
        }
        if deleteOriginals, properties != nil {
            throw ValidationError("--properties is not used with --delete-originals (the properties file was changed by the migration itself)")
        }
    }

    var source: MigrationSource {
        fromAppData.map { MigrationSource(kind: .appData, path: $0) } ?? MigrationSource(kind: .install, path: fromInstall ?? "")
    }

    func run() async throws {
        try await reportingFailures {
            let hook = TestKillHook()  // says so on stderr when a test armed it
            if deleteOriginals {
                try removeOriginals(hook)
                return
            }
            let planner = MigrationPlanner(source: source, destination: destination, propertiesFile: properties)
            let database = await MigrationDatabaseCheck.run(
                propertiesFile: planner.propertiesFile, source: source.kind, appDataCluster: planner.sourceClusterID())
            let plan = planner.plan(database: database)
            let render = MigrationOutput(json: output.json)
            render.plan(plan, applying: apply)
            if !plan.refusals.isEmpty {
                if output.json { try output.printJSON(MigrationOutput.MigrateResult(plan: plan, applied: false, summary: nil)) }
                throw Failure(MigrationOutput.refusalMessage(plan.refusals))
            }
            guard apply else {
                if output.json { try output.printJSON(MigrationOutput.MigrateResult(plan: plan, applied: false, summary: nil)) }
                if case .originalsDeleted = plan.status {
                    if plan.changesProperties { render.line("dry run: nothing was changed. Run the same command with --apply to change \(plan.properties?.file ?? "the properties file").") }
                    return
                }
                render.line("dry run: nothing was changed. Run the same command with --apply to migrate.")
                return
            }
            let progress = ProgressPrinter()
            let started = ContinuousClock.now
            let summary = try MigrationRunner(plan: plan, killHook: hook, observer: progress.observe).run()
            progress.finish()
            if output.json {
                try output.printJSON(MigrationOutput.MigrateResult(plan: plan, applied: true, summary: summary))
            } else {
                render.summary(summary, plan: plan, elapsed: ContinuousClock.now - started)
            }
        }
    }

    func removeOriginals(_ hook: TestKillHook) throws {
        let progress = ProgressPrinter()
        let remover = OriginalsRemover(source: source, destination: destination, killHook: hook, observer: progress.observe)
        let plan = remover.plan()
        let render = MigrationOutput(json: output.json)
        render.deletion(plan, source: source, destination: remover.destination, applying: apply)
        if !plan.refusals.isEmpty {
            if output.json { try output.printJSON(MigrationOutput.DeleteResult(plan, applied: false, deleted: 0)) }
            throw Failure(MigrationOutput.refusalMessage(plan.refusals) + "\nNothing was deleted.")
        }
        guard apply, plan.alreadyDeleted == nil else {
            if output.json { try output.printJSON(MigrationOutput.DeleteResult(plan, applied: false, deleted: 0)) }
            if plan.alreadyDeleted == nil {
                render.line("dry run: nothing was deleted. Run the same command with --apply to delete the originals.")
            }
            return
        }
        let deleted = try remover.run(plan)
        progress.finish()
        if output.json {
            try output.printJSON(MigrationOutput.DeleteResult(plan, applied: true, deleted: deleted))
        } else {
            render.line("deleted \(deleted) migrated files and links (\(ByteCount.format(plan.bytes))) and \(plan.folders.count) folders from \(source.path)")
            if !plan.kept.isEmpty { render.line("kept (the installation needs them): \(plan.kept.joined(separator: ", "))") }
        }
    }
}

struct AppDataVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an appdata folder: its layout and, after a migration, every file's SHA-256 against the journal.",
        discussion: "Exit status 0 when everything matches, 1 when something is missing, changed or unfinished (each problem is listed).")

    @Argument(help: ArgumentHelp("The appdata folder.", valueName: "dir"))
    var directory: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let progress = ProgressPrinter()
            let report = MigrationVerifier.verify(root: directory, observer: progress.observe)
            progress.finish()
            if output.json {
                try output.printJSON(report)
            } else {
                MigrationOutput(json: false).verification(report)
            }
            if !report.ok {
                throw Failure("\(report.root) did not verify: \(report.problems.count) problem(s)")
            }
        }
    }
}
