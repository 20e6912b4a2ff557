import StewardConfiguration

/// Everything a migration will do, found before anything changes: the items with their sizes
/// and destinations, what an earlier run already verified, the exact change to the properties
/// file, the space it needs, and every reason to refuse.
public struct MigrationPlan: Sendable {
    public struct Item: Sendable, Codable, Equatable {
        public let item: String
        public let present: Bool
        public let destination: String
        /// Copied but never deleted with the originals (an installation's `conf/installed.version`).
        public let keepsOriginal: Bool
        public var files = 0
        public var folders = 0
        public var links = 0
        public var bytes: Int64 = 0
        /// Files an earlier run already copied and verified (or that a node has since changed in the
        /// destination): not copied again.
        public var verifiedFiles = 0
        public var verifiedBytes: Int64 = 0
    }

    /// The change to the node's `installed.properties`.
    public struct PropertiesChange: Sendable {
        /// The file as named on the command line.
        public let file: String
        /// The file written (a symbolic link is followed, not replaced).
        public let realFile: String
        public let original: [UInt8]
        public let edit: PropertiesEditor.Edit
        /// The backup that will be written, e.g. `installed.properties.bak-20250101-120000`.
        public let backup: String
    }

    public enum Status: Sendable, Equatable {
        /// Nothing copied yet.
        case fresh
        /// An earlier run was interrupted (or the source has changed since): this run carries on.
        case resuming
        /// Every file is already verified in place; a run only confirms it.
        case complete(String)
        /// The migration finished and its originals were deleted: nothing is left to do.
        case originalsDeleted(String)
    }

    public let source: MigrationSource
    /// The destination as named on the command line, made absolute; the value `server.appdata.dir` gets.
    public let destination: String
    public internal(set) var status: Status = .fresh
    public internal(set) var items: [Item] = []
    /// Everything to create, parents before children.
    public internal(set) var entries: [TreeEntry] = []
    public internal(set) var properties: PropertiesChange?
    public internal(set) var database: DatabaseStatus
    public internal(set) var space: SpaceEstimate?
    public internal(set) var journal: MigrationJournal.State?
    public internal(set) var refusals: [MigrationError] = []
    /// Things worth saying that do not stop the migration.
    public internal(set) var notes: [String] = []
    /// Entries of the source that are not migrated (a file system's `lost+found` at its root).
    public internal(set) var skipped: [String] = []

    init(source: MigrationSource, destination: String, database: DatabaseStatus) {
        self.source = source
        self.destination = destination
        self.database = database
    }

    public var missing: [String] { items.filter { !$0.present }.map(\.item) }
    public var totalFiles: Int { items.reduce(0) { $0 + $1.files } }
    public var totalBytes: Int64 { items.reduce(0) { $0 + $1.bytes } }
    public var verifiedFiles: Int { items.reduce(0) { $0 + $1.verifiedFiles } }
    public var verifiedBytes: Int64 { items.reduce(0) { $0 + $1.verifiedBytes } }

    /// What to do with each source file (by relative path); see `CopyDecision`.
    public internal(set) var decisions: [String: CopyDecision] = [:]

    /// Files changed in the destination since they were migrated (a node's logs), kept as they are.
    public var keptNewer: [String] { decisions.filter { $0.value == .keptNewer }.map(\.key).sorted() }

    /// The item `relative` belongs to (the item itself, or the one it lies below).
    func item(containing relative: String) -> Item? {
        items.first { PathRules.isInside("/" + relative, "/" + $0.item) }
    }

    /// True when the properties file still has to change (also after the originals were deleted).
    public var changesProperties: Bool { properties.map { !$0.edit.isUnchanged } ?? false }

    /// True when `entry` must be (re)written in the destination.
    func needsWriting(_ entry: TreeEntry) -> Bool {
        switch entry.kind {
        case .file: return (decisions[entry.relative] ?? .copy) == .copy
        case .symlink: return !isLinked(entry)
        case .directory: return false
        }
    }

    /// True when the link `entry` is already in place with the journaled target.
    func isLinked(_ entry: TreeEntry) -> Bool {
        guard entry.kind == .symlink, let target = entry.linkTarget, journal?.links[entry.relative] == target else { return false }
        return TreeEntry.readLink(PathRules.join(destination, entry.relative)) == target
    }
}
