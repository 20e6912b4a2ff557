#if canImport(Glibc)
import Glibc
#endif

/// What to do with one source file, from what the journal recorded and what the destination
/// holds. A copy is only ever overwritten when it is known to hold nothing newer than the source:
/// a node that already ran on the destination (its logs grew) loses nothing to a second run.
public enum CopyDecision: Sendable, Equatable {
    /// Not there yet, or there from a killed run before it was journaled: copy it.
    case copy
    /// Journaled, the source unchanged since, the copy in place and still holding what was verified.
    case verified
    /// A node's log (under `logs/`) that grew in the destination since it was migrated, its
    /// migrated bytes intact, and unchanged in the source: kept.
    case keptNewer
    /// Changed in both places since it was migrated, or changed in the destination in a way a
    /// node's log does not change: the run refuses.
    case conflict(String)

    static func decide(_ entry: TreeEntry, record: JournalRecord.File?, destination: String) -> CopyDecision {
        let path = PathRules.join(destination, entry.relative)
        guard let copy = TreeEntry.stat(path) else { return .copy }
        guard TreeEntry.kind(of: copy) == .file else {
            return .conflict("\(path) exists in the destination and is not a file, but the source has a file there; move it away, then run the command again")
        }
        let copySize = Int64(copy.st_size)
        // Our copies carry the source's time; whole seconds, for storage that keeps no nanoseconds.
        let isCopyOfSource = copySize == entry.size && Int64(copy.st_mtim.tv_sec) == entry.modified.seconds
        guard let record else {
            if isCopyOfSource { return .copy }
            return .conflict("\(path) exists in the destination, differs from the source and was not written by this migration; move it away (or remove it), then run the command again")
        }
        if record.size == entry.size, record.modified == entry.modified {
            return checkCopy(copy, record, path: path, destination: destination)
        }
        if isCopyOfSource { return .copy }
        if copySize == record.size, (try? FileDigest.sha256(path: path)) == record.sha256 { return .copy }
        return .conflict("\(entry.relative) has changed both in the source and in \(destination) since it was migrated; keep the one you want in both places, then run the command again")
    }

    /// The source still holds what was migrated: the copy must too (or be a node's log grown since).
    /// A copy whose inode, change time, size and modification time are all as recorded when it was
    /// verified is trusted without reading it again; any other copy is hashed.
    static func checkCopy(_ copy: stat, _ record: JournalRecord.File, path: String, destination: String) -> CopyDecision {
        if let stamp = record.stamp, stamp.matches(copy), Int64(copy.st_size) == record.size,
           FileTime(copy.st_mtim) == record.modified {
            return .verified
        }
        let state: CopyCheck.State
        do {
            state = try CopyCheck.check(root: destination, record)
        } catch {
            return .conflict(error.message)
        }
        switch state {
        case .matches: return .verified
        case .grown: return .keptNewer
        case .missing: return .copy
        case .notAFile:
            return .conflict("\(path) exists in the destination and is not a file, but the source has a file there; move it away, then run the command again")
        case .changed:
            guard CopyCheck.tolerance(for: record.relative) == .appendOnly else {
                return .conflict("\(path) has changed in the destination since it was migrated (the source has not). Move the copy away and run the command again to copy the source anew, or, if the change is wanted, make the same change in the source first")
            }
            return .conflict("the log \(path) no longer starts with the bytes migrated into it (a node on the new folder rotated or rewrote it?). If a node already runs on \(destination), the migration is done: check it with `stewardctl appdata verify \(destination)` and delete the originals with --delete-originals, rather than migrating again")
        }
    }
}
