import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Walks the source: every folder, file and symbolic link under the items to migrate, parents
/// before children, names sorted. Finds what cannot be migrated safely: links that point outside
/// what is copied (they would dangle once the originals go), special files, names that are not UTF-8.
struct TreeScanner {
    let source: MigrationSource
    let realRoot: String
    /// The items that are copied, relative to the source ("" for the whole source).
    let copiedRoots: [String]
    let destination: String

    struct Result {
        var entries: [TreeEntry] = []
        var problems: [MigrationError] = []
    }

    func scan(item: String, into result: inout Result) {
        var pending = [item]
        while let relative = pending.popLast() {
            let path = PathRules.join(source.path, relative)
            guard let info = TreeEntry.stat(path) else {
                result.problems.append(.io("read", path, errno: errno))
                continue
            }
            switch TreeEntry.kind(of: info) {
            case .directory?:
                result.entries.append(TreeEntry(relative: relative, kind: .directory, info: info))
                switch children(of: path) {
                case .success(let names):
                    pending += names.sorted(by: >).map { relative.isEmpty ? $0 : relative + "/" + $0 }
                case .failure(let problem):
                    result.problems.append(problem)
                }
            case .file?:
                result.entries.append(TreeEntry(relative: relative, kind: .file, info: info))
            case .symlink?:
                switch linkTarget(relative) {
                case .success(let target):
                    result.entries.append(TreeEntry(relative: relative, kind: .symlink, info: info, linkTarget: target))
                case .failure(let problem):
                    result.problems.append(problem)
                }
            case nil:
                result.problems.append(MigrationError(.unsupportedFile,
                    "\(path) is a device, socket or pipe, which cannot be migrated; remove it (a stopped server does not need it) and run the command again"))
            }
        }
    }

    func children(of path: String) -> Swift.Result<[String], MigrationError> {
        guard let listing = FolderListing.read(path) else { return .failure(.io("list the folder", path, errno: errno)) }
        guard listing.invalidNames == 0 else {
            return .failure(MigrationError(.unsupportedFile,
                "a name in \(path) is not valid UTF-8; rename that entry (ls -b shows it) and run the command again"))
        }
        return .success(listing.names)
    }

    /// The target to write for the link at `relative`, or why it cannot be migrated.
    func linkTarget(_ relative: String) -> Swift.Result<String, MigrationError> {
        let path = PathRules.join(source.path, relative)
        guard let target = TreeEntry.readLink(path), !target.isEmpty else {
            return .failure(MigrationError(.escapingSymlink, "cannot read the symbolic link \(path) (or its target is not UTF-8)"))
        }
        let parent = PathRules.parent(relative)
        // The target seen from the path as given and from its real path: either may be how it was written.
        let forms = [source.path, realRoot].map { root -> (root: String, target: String) in
            let base = PathRules.join(root, parent)
            return (root, PathRules.normalize(target.hasPrefix("/") ? target : base + "/" + target))
        }
        let inside = forms.first { form in
            copiedRoots.contains { PathRules.isInside(form.target, PathRules.join(form.root, $0)) }
        }
        var escapes = inside == nil
        if !escapes, let real = PathRules.realPath(path) {
            // The link resolves: wherever it really ends must be inside what is copied, too.
            escapes = !copiedRoots.contains { root in
                let realItem = PathRules.realPath(PathRules.join(realRoot, root)) ?? PathRules.join(realRoot, root)
                return PathRules.isInside(real, realItem)
            }
        }
        let scope = source.kind == .appData ? "the appdata folder \(source.path)" : "the migrated items of \(source.path)"
        guard let inside, !escapes else {
            return .failure(MigrationError(.escapingSymlink,
                "\(path) is a symbolic link to \(target), outside \(scope); it would dangle once the originals are deleted. Replace the link with what it points to (or remove it), then run the command again"))
        }
        if !target.hasPrefix("/"), walkLeavesCopiedFolders(target, from: parent) {
            let below = String(inside.target.dropFirst(inside.root.count)).drop { $0 == "/" }
            let shorter = PathRules.relative(from: parent, to: String(below))
            return .failure(MigrationError(.escapingSymlink,
                "\(path) is a symbolic link to \(target), which passes outside \(scope) on its way back in; in the new folder that way does not exist and the link would dangle. Point it the short way (ln -sfn '\(shorter)' '\(path)'), then run the command again"))
        }
        guard target.hasPrefix("/") else { return .success(target) }
        let below = String(inside.target.dropFirst(inside.root.count))
        return .success(PathRules.normalize(destination + "/" + below))
    }

    /// Follows a relative target one name at a time from the link's folder (`from`, relative to
    /// the source), as the kernel will in the new folder. That folder holds only what is copied
    /// (and the folders above copied items), so a walk through anything else, above the source
    /// included (`../appdata/f` in `/srv/appdata`), would fail there even if it ends inside.
    func walkLeavesCopiedFolders(_ target: String, from folder: String) -> Bool {
        var parts = folder.split(separator: "/").map(String.init)
        let steps = target.split(separator: "/").map(String.init)
        for (index, step) in steps.enumerated() where step != "." {
            if step == ".." {
                guard !parts.isEmpty else { return true }
                parts.removeLast()
            } else {
                parts.append(step)
            }
            guard index < steps.count - 1 else { break }  // the end of the walk is checked with the whole target
            let here = "/" + parts.joined(separator: "/")
            let exists = copiedRoots.contains { root in
                PathRules.isInside(here, "/" + root) || PathRules.isInside("/" + root, here)
            }
            if !exists { return true }
        }
        return false
    }
}
