/// What to do with one source file, from what the journal recorded and what the destination
/// holds. A copy is only ever overwritten when it is known to hold nothing newer than the source:
/// a node that already ran on the destination (its logs grew) loses nothing to a second run.
public enum CopyDecision: Sendable, Equatable {
    /// Not there yet, or there from a killed run before it was journaled: copy it.
    case copy
    /// Journaled, the source unchanged since, the copy in place: nothing to do.
    case verified
    /// Changed in the destination since it was migrated, and unchanged in the source: kept.
    case keptNewer
    /// Changed in both places since it was migrated: the run refuses.
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
            return copySize == record.size ? .verified : .keptNewer
        }
        if isCopyOfSource { return .copy }
        if copySize == record.size, (try? FileDigest.sha256(path: path)) == record.sha256 { return .copy }
        return .conflict("\(entry.relative) has changed both in the source and in \(destination) since it was migrated; keep the one you want in both places, then run the command again")
    }
}
