import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Copies one file or link into the destination so that its final name only ever holds a
/// complete, verified copy: write to a temporary name, fsync, re-read and compare SHA-256 with
/// what was read from the source, apply owner, permissions and times, rename, fsync the folder.
///
/// Written by hand: no package in this stack copies files (Foundation's `copyItem` neither
/// fsyncs nor verifies, nor keeps times to the nanosecond), and rsync is not a library.
struct FileCopier {
    let killHook: TestKillHook
    /// Root may keep owners; others cannot (and the files become theirs).
    let preservesOwner = geteuid() == 0
    let progress: (Int64) -> Void

    /// Copies the regular file `source` (described by `entry`) to `final`; returns what to journal:
    /// its SHA-256, and the copy's stamp once in place.
    func copyFile(_ entry: TreeEntry, from source: String, to final: String) throws(MigrationError) -> JournalRecord.File {
        let temporary = TemporaryName.path(for: final)
        unlink(temporary)
        let input = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw .io("read", source, errno: errno) }
        defer { close(input) }
        var output = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw .io("create a file in", PathRules.parent(final), errno: errno) }
        killHook.step("file-created")
        do throws(MigrationError) {
            let expected = try writeContents(from: input, to: output, source: source, final: final)
            killHook.step("file-written")
            guard fsync(output) == 0 else { throw .io("fsync", final, errno: errno) }
            killHook.step("file-fsynced")
            try applyAttributes(entry, to: output, path: final)
            let closed = close(output)
            output = -1
            guard closed == 0 else { throw .io("write", final, errno: errno) }  // NFS reports late write errors here
            let actual = try FileDigest.sha256(path: temporary)
            guard actual == expected else {
                throw MigrationError(.verificationFailed,
                    "the copy of \(source) reads back differently from what was written (SHA-256 \(actual), expected \(expected)); the destination storage is corrupting data. Check it before trying again")
            }
            try checkUnchanged(input, entry, source)
            killHook.step("file-verified")
            guard rename(temporary, final) == 0 else { throw .io("rename into place", final, errno: errno) }
            killHook.step("file-renamed")
            try syncFolder(of: final)
            return JournalRecord.File(relative: entry.relative, size: entry.size, modified: entry.modified, sha256: expected,
                                      stamp: TreeEntry.stat(final).map(CopyStamp.init))
        } catch {
            if output >= 0 { close(output) }
            unlink(temporary)
            throw error
        }
    }

    func writeContents(from input: Int32, to output: Int32, source: String, final: String) throws(MigrationError) -> String {
        var hasher = SHA256()
        var blocks = 0
        let failure = try FileDigest.readBlocks(input) { (block) throws(MigrationError) -> Bool in
            hasher.update(bufferPointer: block)
            if let failure = FileWriting.writeAll(output, block) { throw .io("write", final, errno: failure) }
            progress(Int64(block.count))
            blocks += 1
            killHook.step("file-chunk")
            if blocks >= 2 { killHook.step("file-middle") }  // a later block of a large file
            return true
        }
        if let failure { throw .io("read", source, errno: failure) }
        return FileDigest.hex(hasher.finalize())
    }

    /// Owner first (changing it clears setuid bits), then permissions, then times (last: nothing may write after).
    func applyAttributes(_ entry: TreeEntry, to descriptor: Int32, path: String) throws(MigrationError) {
        if preservesOwner, fchown(descriptor, entry.owner, entry.group) != 0, errno != EPERM {
            throw .io("set the owner of", path, errno: errno)
        }
        guard fchmod(descriptor, mode_t(entry.mode)) == 0 else { throw .io("set the permissions of", path, errno: errno) }
        var times = [entry.modified.timespec, entry.modified.timespec]
        guard futimens(descriptor, &times) == 0 else { throw .io("set the modification time of", path, errno: errno) }
    }

    /// The source must not have changed while it was read: a running writer would make the copy stale.
    func checkUnchanged(_ input: Int32, _ entry: TreeEntry, _ source: String) throws(MigrationError) {
        var info = stat()
        guard fstat(input, &info) == 0 else { throw .io("read", source, errno: errno) }
        guard Int64(info.st_size) == entry.size, FileTime(info.st_mtim) == entry.modified else {
            throw MigrationError(.sourceChanged,
                "\(source) changed while it was being copied; something is still writing to the source. Stop it (every Steward server using it), then run the same command again")
        }
    }

    /// Creates the link `entry` at `final` (through a temporary name, so `final` is never missing or half-made).
    func copyLink(_ entry: TreeEntry, to final: String) throws(MigrationError) {
        let temporary = TemporaryName.path(for: final)
        unlink(temporary)
        guard let target = entry.linkTarget, symlink(target, temporary) == 0 else {
            throw .io("create the symbolic link", final, errno: errno)
        }
        if preservesOwner { lchown(temporary, entry.owner, entry.group) }
        var times = [entry.modified.timespec, entry.modified.timespec]
        utimensat(AT_FDCWD, temporary, &times, AT_SYMLINK_NOFOLLOW)
        killHook.step("link-created")
        guard rename(temporary, final) == 0 else {
            let code = errno
            unlink(temporary)
            throw .io("rename into place", final, errno: code)
        }
        try syncFolder(of: final)
    }

    func syncFolder(of path: String) throws(MigrationError) {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try AtomicFile.syncDirectory(folder)
        } catch {
            throw .io("fsync the folder", folder, errno: error.code)
        }
    }
}

/// The fixed temporary name a file is written under before it is renamed into place: in the
/// same folder (so the rename is atomic), hidden, and the same on every run (so a rerun reuses it).
enum TemporaryName {
    static let prefix = ".steward-partial-"

    static func path(for final: String) -> String {
        let folder = (final as NSString).deletingLastPathComponent
        return folder + "/" + prefix + FileDigest.sha256(text: PathRules.name(final)).prefix(16)
    }

    static func isTemporary(_ name: String) -> Bool { name.hasPrefix(prefix) }
}
