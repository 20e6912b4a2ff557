import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The names in one folder, read with `readdir` (so that names which are not UTF-8 are seen and
/// counted, where Foundation would skip or mangle them).
struct FolderListing {
    /// The UTF-8 names, without `.` and `..`, in the order `readdir` gave them.
    var names: [String] = []
    /// How many names are not valid UTF-8.
    var invalidNames = 0

    /// Lists `path`; nil when it cannot be opened (`errno` says why).
    static func read(_ path: String) -> FolderListing? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var listing = FolderListing()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(validating: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let name else {
                listing.invalidNames += 1
                continue
            }
            if name != ".", name != ".." { listing.names.append(name) }
        }
        return listing
    }
}

/// The temporary files (`.steward-partial-…`) a killed run leaves in the destination, found by
/// one rule for the run that removes them and for `appdata verify` that reports them: a name
/// with the temporary prefix that is not a real, migrated entry of that name. Links are not
/// followed, and the journal folder is not searched.
enum TemporaryFiles {
    static func find(under root: String, isMigrated: (String) -> Bool) -> [String] {
        var found: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            guard let listing = FolderListing.read(PathRules.join(root, relative)) else { continue }
            for name in listing.names where !(relative.isEmpty && name == MigrationSource.journalFolder) {
                let child = relative.isEmpty ? name : relative + "/" + name
                if TemporaryName.isTemporary(name), !isMigrated(child) {
                    found.append(child)
                } else if let info = TreeEntry.stat(PathRules.join(root, child)), TreeEntry.kind(of: info) == .directory {
                    pending.append(child)
                }
            }
        }
        return found.sorted()
    }
}
