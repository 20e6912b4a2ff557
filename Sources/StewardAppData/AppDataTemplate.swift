import Foundation

/// The `appdata-template/` folder that new appdata folders are made from.
public enum AppDataTemplate {
    public static let folderName = "appdata-template"

    /// Finds the template: an explicit path, `$STEWARD_APPDATA_TEMPLATE`, an installed
    /// `share/steward/appdata-template` beside the binary, or a source checkout above it.
    public static func locate(explicit: String? = nil, executable: String = CommandLine.arguments[0]) throws(AppDataError) -> String {
        if let explicit { return try checked(explicit) }
        if let fromEnvironment = ProcessInfo.processInfo.environment["STEWARD_APPDATA_TEMPLATE"], !fromEnvironment.isEmpty {
            return try checked(fromEnvironment)
        }
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates = [binary.appendingPathComponent("../share/steward/\(folderName)").standardizedFileURL.path]
        var folder = binary
        for _ in 0..<6 {
            candidates.append(folder.appendingPathComponent(folderName).path)
            folder = folder.deletingLastPathComponent()
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/" + folderName)
        for candidate in candidates where isTemplate(candidate) { return candidate }
        throw AppDataError(.templateMissing, path: folderName,
                           detail: "cannot find \(folderName)/ beside this program or in the current folder; pass --template PATH or set STEWARD_APPDATA_TEMPLATE")
    }

    static func checked(_ path: String) throws(AppDataError) -> String {
        guard isTemplate(path) else {
            throw AppDataError(.templateMissing, path: path, detail: "\(path) is not an appdata template (it has no conf/server/ folder)")
        }
        return path
    }

    static func isTemplate(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path + "/conf/server", isDirectory: &isFolder) && isFolder.boolValue
    }

    /// Copies the template into `destination`, which must not exist or be an empty folder.
    /// Returns the relative paths created.
    @discardableResult
    public static func instantiate(template: String, into destination: String) throws(AppDataError) -> [String] {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: destination, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw AppDataError(.notEmpty, path: destination, detail: "\(destination) exists and is not a folder")
            }
            let contents = (try? manager.contentsOfDirectory(atPath: destination)) ?? []
            guard contents.isEmpty else {
                throw AppDataError(.notEmpty, path: destination,
                                   detail: "\(destination) is not empty (\(contents.count) entries); appdata init only fills a new or empty folder")
            }
        }
        var created: [String] = []
        do {
            try manager.createDirectory(atPath: destination, withIntermediateDirectories: true)
            let items = try manager.subpathsOfDirectory(atPath: template).sorted()
            for item in items {
                let source = template + "/" + item
                let target = destination + "/" + item
                var itemIsFolder: ObjCBool = false
                _ = manager.fileExists(atPath: source, isDirectory: &itemIsFolder)
                if itemIsFolder.boolValue {
                    try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
                } else if (item as NSString).lastPathComponent == ".gitkeep" || item == "README.md" {
                    continue  // .gitkeep only makes git keep empty folders; README.md describes the template
                } else {
                    guard let data = manager.contents(atPath: source) else {
                        throw AppDataError(.templateMissing, path: source, detail: "cannot read template file \(source)")
                    }
                    try AtomicFile.write(data, to: target)
                }
                created.append(item)
            }
        } catch let error as AppDataError {
            throw error
        } catch let error as FileSystemError {
            throw AppDataError(.notWritable, path: error.path, detail: error.reason)
        } catch {
            throw AppDataError(.notWritable, path: destination, detail: "\(error)")
        }
        return created
    }
}
