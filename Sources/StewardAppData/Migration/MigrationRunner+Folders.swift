import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Folders: created owner-writable while files go in, given their source's owner, permissions
/// and times at the end (children first, so that nothing changes a folder's time afterwards);
/// the DESIGN §4 layout completed; temporary files of a killed run removed.
extension MigrationRunner {
    func ensureFolder(_ path: String, initialMode: mode_t) throws(MigrationError) {
        if let info = TreeEntry.stat(path) {
            guard TreeEntry.kind(of: info) == .directory else {
                throw MigrationError(.foreignDestination,
                    "\(path) exists in the destination and is not a folder, but the source has a folder there; move it away, then run the command again")
            }
            // A folder finished by an earlier run may be read-only; it must take files until the end.
            if info.st_mode & 0o700 != 0o700, chmod(path, (info.st_mode & 0o7777) | 0o700) != 0 {
                throw .io("make writable", path, errno: errno)
            }
            return
        }
        try Self.makeFolder(path, mode: initialMode)
        killHook.step("dir-created")
    }

    /// `mkdir`, then fsync the parent: the journal must never list files in a folder that a power
    /// cut could still take back.
    static func makeFolder(_ path: String, mode: mode_t) throws(MigrationError) {
        guard mkdir(path, mode) == 0 else { throw .io("create the folder", path, errno: errno) }
        let parent = (path as NSString).deletingLastPathComponent
        do {
            try AtomicFile.syncDirectory(parent)
        } catch {
            throw .io("fsync the folder", parent, errno: error.code)
        }
    }

    /// The folders above an installation item (`conf/server` for `conf/server/log4j.properties`).
    func createParents(of item: String, _ journal: JournalWriter, _ summary: inout Summary) throws(MigrationError) {
        var parents: [String] = []
        var parent = PathRules.parent(item)
        while !parent.isEmpty {
            parents.insert(parent, at: 0)
            parent = PathRules.parent(parent)
        }
        for relative in parents { try createLayoutFolder(relative, journal, &summary) }
    }

    /// Every folder of the appdata layout, so that a node can start on the destination.
    func createLayout(_ journal: JournalWriter, _ summary: inout Summary) throws(MigrationError) {
        for folder in AppDataLayout.requiredFolders + AppDataLayout.optionalFolders {
            try createParents(of: folder, journal, &summary)
            try createLayoutFolder(folder, journal, &summary)
        }
    }

    func createLayoutFolder(_ relative: String, _ journal: JournalWriter, _ summary: inout Summary) throws(MigrationError) {
        let path = PathRules.join(destination, relative)
        guard TreeEntry.stat(path) == nil else { return }
        try Self.makeFolder(path, mode: 0o755)
        try journal.append(.layout(relative))
        killHook.step("layout-created")
        summary.createdLayoutFolders.append(relative)
    }

    func finishFolders(_ journal: JournalWriter, _ summary: inout Summary) throws(MigrationError) {
        let copier = FileCopier(killHook: killHook, progress: { _ in })
        for entry in plan.entries.reversed() where entry.kind == .directory {
            let path = PathRules.join(destination, entry.relative)
            if copier.preservesOwner, lchown(path, entry.owner, entry.group) != 0, errno != EPERM {
                throw .io("set the owner of", path, errno: errno)
            }
            guard chmod(path, mode_t(entry.mode)) == 0 else { throw .io("set the permissions of", path, errno: errno) }
            var times = [entry.modified.timespec, entry.modified.timespec]
            guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw .io("set the modification time of", path, errno: errno)
            }
            try journal.append(.directory(entry.relative))
            killHook.step("dir-finalized")
            summary.folders += 1
        }
    }

    /// Removes the temporary files a killed run left in the destination (they never hold a final name).
    func removeTemporaries() throws(MigrationError) {
        let sourceNames = Set(plan.entries.map(\.relative))
        for relative in TemporaryFiles.find(under: destination, isMigrated: sourceNames.contains) {
            let path = PathRules.join(destination, relative)
            guard unlink(path) == 0 || errno == ENOENT else { throw .io("remove the partial file", path, errno: errno) }
        }
    }
}
