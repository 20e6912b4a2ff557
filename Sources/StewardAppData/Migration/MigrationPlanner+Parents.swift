import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An installation item lies below folders of the installation (`var/plugins` below `var`). If
/// one of those is a symbolic link (`install/var -> /data/var`), the item would be copied from,
/// and later deleted in, wherever the link points: refused, naming the link.
extension MigrationPlanner {
    struct LinkedParents {
        /// The items below a linked folder (not scanned).
        var items: Set<String> = []
        var refusals: [MigrationError] = []
    }

    func symlinkedParents(of items: [String]) -> LinkedParents {
        var found = LinkedParents()
        var below: [String: [String]] = [:]
        var order: [String] = []
        for item in items {
            var parent = ""
            for part in item.split(separator: "/").dropLast() {
                parent = parent.isEmpty ? String(part) : parent + "/" + part
                guard let info = TreeEntry.stat(PathRules.join(source.path, parent)), TreeEntry.kind(of: info) == .symlink else { continue }
                if below[parent] == nil { order.append(parent) }
                below[parent, default: []].append(item)
                found.items.insert(item)
                break
            }
        }
        for parent in order {
            let path = PathRules.join(source.path, parent)
            let target = TreeEntry.readLink(path) ?? "?"
            let names = (below[parent] ?? []).joined(separator: ", ")
            found.refusals.append(MigrationError(.symlinkedParent,
                "\(path) is a symbolic link to \(target), and the migrated \(names) lie below it: they would be copied from, and deleted in, \(target). Replace the link with the folder itself (or move the data back under \(source.path)), then run the command again"))
        }
        return found
    }
}
