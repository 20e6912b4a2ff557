import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension OriginalsRemover {
    /// Deletes what `plan` lists. The journal says `delete-started` first and `originals-deleted`
    /// last, so a run killed in between is finished by the next one (missing originals are fine:
    /// their copies were checked).
    public func run(_ plan: Plan) throws(MigrationError) -> Int {
        if let refusal = plan.refusals.first { throw refusal }
        guard plan.alreadyDeleted == nil else { return 0 }
        let locks = try HeldNodeLocks(roots: [source.path])
        defer { locks.release() }
        let journal = try JournalWriter(destination: destination, source: source, killHook: killHook)
        try journal.append(.deleteStarted(JournalWriter.now()))
        var deleted = 0
        for relative in plan.files {
            let path = PathRules.join(source.path, relative)
            guard unlink(path) == 0 || errno == ENOENT else { throw .io("delete", path, errno: errno) }
            deleted += 1
            observer(.deleted(relative))
            killHook.step("original-deleted")
        }
        for relative in plan.folders {
            let path = PathRules.join(source.path, relative)
            if rmdir(path) != 0, errno != ENOENT {
                let code = errno
                if code == ENOTEMPTY || code == EEXIST {
                    throw MigrationError(.originalsChanged,
                        "\(path) is not empty after its migrated files were deleted: something wrote there during the deletion; check it, then run the command again")
                }
                throw .io("remove the folder", path, errno: code)
            }
        }
        do {
            try AtomicFile.syncDirectory(source.path)
        } catch {
            throw .io("fsync the folder", source.path, errno: error.code)
        }
        try journal.append(.originalsDeleted(JournalWriter.now()))
        return deleted
    }
}
