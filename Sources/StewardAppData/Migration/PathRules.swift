import Foundation

/// Path arithmetic the migration relies on: absolute and lexically normal paths, real paths of
/// folders that may not exist yet, and "is this inside that".
enum PathRules {
    /// `path` made absolute against the current folder, `.` and `..` removed, no trailing slash.
    static func absolute(_ path: String) -> String {
        guard !path.isEmpty else { return "" }
        let base = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return normalize(base)
    }

    /// Lexical normalisation of an absolute path (`..` above `/` stays at `/`).
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `realpath(3)`, or nil when the path does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The real path of the nearest existing ancestor, with the missing rest appended: what
    /// `path` will be once created, seen through every symbolic link above it.
    static func resolved(_ path: String) -> String {
        var existing = normalize(path)
        var rest: [String] = []
        while true {
            if let real = realPath(existing) {
                return rest.isEmpty ? real : normalize(real + "/" + rest.reversed().joined(separator: "/"))
            }
            guard existing != "/" else { return normalize(path) }
            rest.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
    }

    /// The nearest folder at or above `path` that exists (for `statvfs`).
    static func nearestExisting(_ path: String) -> String {
        var candidate = normalize(path)
        while candidate != "/", !FileManager.default.fileExists(atPath: candidate) {
            candidate = (candidate as NSString).deletingLastPathComponent
        }
        return candidate
    }

    /// True when `child` is `parent` or lies below it (both absolute and normal).
    static func isInside(_ child: String, _ parent: String) -> Bool {
        if parent == "/" { return true }
        return child == parent || child.hasPrefix(parent + "/")
    }

    /// `relative` joined under `root` ("" means the root itself).
    static func join(_ root: String, _ relative: String) -> String {
        relative.isEmpty ? root : root + "/" + relative
    }

    static func parent(_ relative: String) -> String {
        guard let slash = relative.lastIndex(of: "/") else { return "" }
        return String(relative[..<slash])
    }

    static func name(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The shortest relative path from the folder `from` to `to` (both relative to one root).
    static func relative(from folder: String, to target: String) -> String {
        let base = folder.split(separator: "/")
        let goal = target.split(separator: "/")
        var common = 0
        while common < base.count, common < goal.count, base[common] == goal[common] { common += 1 }
        let parts = Array(repeating: "..", count: base.count - common) + goal[common...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
