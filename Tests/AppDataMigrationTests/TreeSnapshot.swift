import Foundation
import StewardAppData
import StewardTesting
import Testing

/// Everything about a tree that a migration must keep: each entry's kind, permissions,
/// modification time (to the nanosecond), SHA-256 for files and target for links.
struct TreeSnapshot: Equatable, CustomStringConvertible {
    struct Node: Equatable {
        var kind: String
        var mode: UInt32
        var modified: String
        var content: String
    }

    var nodes: [String: Node]

    /// Snapshots `root`; `items` limits it to those relative paths (and what is below them).
    static func take(_ root: String, items: [String]? = nil, excluding: Set<String> = [MigrationSource.journalFolder]) throws -> TreeSnapshot {
        var nodes: [String: Node] = [:]
        var pending = items ?? ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
        while let relative = pending.popLast() {
            if excluding.contains(relative) { continue }
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let mode = UInt32(info.st_mode) & 0o7777
            let modified = "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                nodes[relative] = Node(kind: "folder", mode: mode, modified: modified, content: "")
                let children = try FileManager.default.contentsOfDirectory(atPath: path)
                pending += children.map { relative + "/" + $0 }
            case S_IFREG:
                nodes[relative] = Node(kind: "file", mode: mode, modified: modified, content: try FileDigest.sha256(path: path))
            case S_IFLNK:
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: path)
                nodes[relative] = Node(kind: "link", mode: 0, modified: modified, content: target)
            default:
                nodes[relative] = Node(kind: "other", mode: mode, modified: modified, content: "")
            }
        }
        return TreeSnapshot(nodes: nodes)
    }

    /// The snapshot as it must look once migrated to `destination`: absolute link targets inside
    /// `source` point to the same place under `destination`.
    func relocated(from source: String, to destination: String) -> TreeSnapshot {
        var copy = self
        for (key, node) in nodes where node.kind == "link" && node.content.hasPrefix(source + "/") {
            copy.nodes[key]?.content = destination + node.content.dropFirst(source.count)
        }
        return copy
    }

    /// What differs from `other`, one line per path (empty when equal).
    func differences(from other: TreeSnapshot) -> [String] {
        Set(nodes.keys).union(other.nodes.keys).sorted().compactMap { key in
            let mine = nodes[key], theirs = other.nodes[key]
            guard mine != theirs else { return nil }
            return "\(key): \(mine.map { "\($0)" } ?? "absent") vs \(theirs.map { "\($0)" } ?? "absent")"
        }
    }

    var description: String { nodes.keys.sorted().joined(separator: "\n") }

    /// Every path under `root` whose name marks a temporary or partial file of the migration.
    static func leftovers(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.contains("steward-partial") || name.contains(".tmp-") { found.append(relative) }
        }
        return found
    }
}

/// Runs stewardctl's migration commands as real processes.
enum Migrate {
    static func run(_ arguments: [String], killAt: String? = nil, environment: [String: String] = [:]) async throws -> Shell.Output {
        var environment = environment
        if let killAt { environment[TestKillHook.environmentVariable] = killAt }
        return try await Binaries.stewardctl(["appdata", "migrate"] + arguments, environment: environment)
    }

    static func verify(_ directory: String) async throws -> Shell.Output {
        try await Binaries.stewardctl(["appdata", "verify", directory])
    }

    /// Runs `stewardctl appdata migrate` and expects exit `status` and each of `messages` in its output.
    @discardableResult
    static func expect(_ arguments: [String], status: Int32, saying messages: String...,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws -> Shell.Output {
        check(try await run(arguments), status: status, messages, sourceLocation)
    }

    /// Runs `stewardctl appdata verify` and expects exit `status` and each of `messages` in its output.
    @discardableResult
    static func expectVerify(_ directory: String, status: Int32, saying messages: String...,
                             sourceLocation: SourceLocation = #_sourceLocation) async throws -> Shell.Output {
        check(try await verify(directory), status: status, messages, sourceLocation)
    }

    private static func check(_ result: Shell.Output, status: Int32, _ messages: [String], _ sourceLocation: SourceLocation) -> Shell.Output {
        #expect(result.status == status, "\(result.output)", sourceLocation: sourceLocation)
        for message in messages {
            #expect(result.output.contains(message), "\(result.output)", sourceLocation: sourceLocation)
        }
        return result
    }
}
