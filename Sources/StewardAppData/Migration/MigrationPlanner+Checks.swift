import Foundation
import StewardConfiguration

/// The refusals about paths: empty, `/`, missing, nested, and a destination that holds other data.
extension MigrationPlanner {
    func checkPaths() -> MigrationError? {
        if source.path.isEmpty {
            return MigrationError(.badPath, "the folder to migrate is an empty path; name it with \(source.option) DIR")
        }
        if destination.isEmpty {
            return MigrationError(.badPath, "the destination is an empty path; name the new appdata folder with --to DIR")
        }
        for (path, role) in [(source.path, "source"), (destination, "destination")] {
            let real = role == "source" ? (PathRules.realPath(path) ?? path) : PathRules.resolved(path)
            if path == "/" || real == "/" {
                return MigrationError(.badPath, "refusing to use / as the \(role) folder; name the \(role == "source" ? "appdata or install folder" : "new appdata folder") itself")
            }
        }
        return nil
    }

    func checkSourceExists() -> MigrationError? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isFolder) else {
            return MigrationError(.sourceMissing, "\(source.path) does not exist; check the path given to \(source.option)")
        }
        guard isFolder.boolValue else { return MigrationError(.sourceMissing, "\(source.path) is not a folder") }
        if FileManager.default.fileExists(atPath: destination, isDirectory: &isFolder), !isFolder.boolValue {
            return MigrationError(.badPath, "the destination \(destination) exists and is not a folder")
        }
        return nil
    }

    func checkNesting() -> MigrationError? {
        let realSource = PathRules.realPath(source.path) ?? source.path
        let realDestination = PathRules.resolved(destination)
        if realSource == realDestination {
            return MigrationError(.nested, "the source and the destination are the same folder (\(realSource))")
        }
        if PathRules.isInside(realDestination, realSource) {
            return MigrationError(.nested,
                "the destination \(destination) is inside the source \(source.path); it would be copied into itself. Choose a destination outside it (on the shared storage)")
        }
        if PathRules.isInside(realSource, realDestination) {
            return MigrationError(.nested,
                "the source \(source.path) is inside the destination \(destination); choose a destination that does not contain it")
        }
        return nil
    }

    /// The destination must be new, empty, or a partial migration of this same source.
    func checkDestination(_ journal: MigrationJournal.State?) -> MigrationError? {
        if let journal, !journal.belongs(to: source) {
            let other = "\(journal.sourceKind?.rawValue ?? "unknown") \(journal.sourcePath ?? "?")"
            return MigrationError(.foreignDestination,
                "\(destination) holds a migration of \(other), not of \(source.path); migrate into a new, empty folder")
        }
        let destinationCluster: String?
        do {
            destinationCluster = try AppDataVerifier(layout: AppDataLayout(root: destination)).readClusterID()?.description
        } catch {
            return MigrationError(.foreignDestination, "\(destination) holds an unreadable cluster.id (\(error)); it is not an empty folder")
        }
        if let destinationCluster, let sourceCluster = sourceClusterID()?.description, destinationCluster != sourceCluster {
            return MigrationError(.foreignDestination,
                "\(destination) holds the data of cluster \(destinationCluster) (its cluster.id), but the source belongs to cluster \(sourceCluster); choose another destination")
        }
        guard journal == nil else { return nil }
        // A journal folder without a journal is what a run stopped before writing it leaves: the run removes it.
        let unstarted = MigrationJournal.isUnstarted(destination: destination)
        let contents = ((try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? [])
            .filter { $0 != "lost+found" && !(unstarted && $0 == MigrationSource.journalFolder) }.sorted()
        guard contents.isEmpty else {
            let shown = contents.prefix(5).joined(separator: ", ") + (contents.count > 5 ? ", …" : "")
            let whose = destinationCluster.map { "the data of cluster \($0)" } ?? "\(contents.count) entries (\(shown))"
            return MigrationError(.foreignDestination,
                "\(destination) is not empty: it holds \(whose) and no migration journal of \(source.path). Migrate into a new, empty folder")
        }
        return nil
    }

    /// The edit that points `server.appdata.dir` at the destination, or why the file cannot be edited.
    func propertiesChange(_ notes: inout [String]) throws(MigrationError) -> MigrationPlan.PropertiesChange? {
        guard let file = propertiesFile else { return nil }
        guard let realFile = PathRules.realPath(file), let data = FileManager.default.contents(atPath: realFile) else {
            throw MigrationError(.propertiesInvalid, "cannot read the properties file \(file); check the path given to --properties")
        }
        let original = [UInt8](data)
        let edit: PropertiesEditor.Edit
        do {
            edit = try PropertiesEditor.set("server.appdata.dir", to: destination, in: original)
        } catch {
            let location = error.line.map { "\(file):\($0)" } ?? file
            let advice = error.kind == .unparsable ? "; fix the file, then run the command again" : ""
            throw MigrationError(.propertiesInvalid, "\(location): \(error.reason)\(advice)")
        }
        let folder = PathRules.parent(realFile)
        guard access(folder, W_OK) == 0 else {
            throw MigrationError(.propertiesInvalid,
                "cannot write in \(folder), where the new \(PathRules.name(file)) and its backup are written; run as a user that may")
        }
        if let old = edit.oldValue, source.kind == .appData {
            let resolved = old.hasPrefix("/") ? PathRules.normalize(old) : PathRules.normalize(folder + "/" + old)
            if resolved != source.path, resolved != destination {
                notes.append("\(file) sets server.appdata.dir to \(old), not to \(source.path): check that it is this node's file")
            }
        }
        if let entries = try? PropertiesParser.parse(PropertiesEditor.decode(original)), entries.filter({ $0.key == "server.appdata.dir" }).count > 1 {
            notes.append("\(file) sets server.appdata.dir on several lines; the last one (the one in effect) is changed")
        }
        return MigrationPlan.PropertiesChange(
            file: file, realFile: realFile, original: original, edit: edit,
            backup: PropertiesWriter.backupPath(for: realFile, date: Date()))
    }
}
