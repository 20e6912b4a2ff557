import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Replaces the node's `installed.properties` so that it is, at every instant, either the old
/// file or the new one: a timestamped backup first, then the new text to a temporary file,
/// fsync, the original's owner and permissions, rename over the original, fsync the folder.
struct PropertiesWriter {
    let killHook: TestKillHook

    static func backupPath(for file: String, date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(file).bak-\(formatter.string(from: date))"
    }

    /// The fixed temporary names beside `file`, which a killed run may leave and the next removes.
    static func temporaries(for file: String) -> (main: String, backup: String) {
        let folder = PathRules.parent(file)
        let name = PathRules.name(file)
        return ("\(folder)/.\(name).steward-partial", "\(folder)/.\(name).steward-partial-backup")
    }

    static func removeTemporaries(for file: String) {
        let names = temporaries(for: file)
        unlink(names.main)
        unlink(names.backup)
    }

    /// Writes `change`; returns the backup's path.
    func write(_ change: MigrationPlan.PropertiesChange) throws(MigrationError) -> String {
        let file = change.realFile
        Self.removeTemporaries(for: file)
        guard let current = FileManager.default.contents(atPath: file), [UInt8](current) == change.original else {
            throw MigrationError(.sourceChanged,
                "\(change.file) changed while the migration ran; run the command again to see the new plan")
        }
        guard let info = TreeEntry.stat(file) else { throw .io("read", file, errno: errno) }
        let backup = Self.existingBackup(of: change.original, for: file) ?? change.backup
        if !FileManager.default.fileExists(atPath: backup) {
            try durableWrite(change.original, to: backup, via: Self.temporaries(for: file).backup, like: info, kill: nil)
            killHook.step("properties-backup-written")
        }
        try durableWrite(change.edit.result, to: file, via: Self.temporaries(for: file).main, like: info, kill: "properties")
        return backup
    }

    /// A backup an interrupted run already wrote with these exact bytes (reused, not duplicated).
    static func existingBackup(of bytes: [UInt8], for file: String) -> String? {
        let folder = PathRules.parent(file)
        let prefix = PathRules.name(file) + ".bak-"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
        return names.reversed().map { folder + "/" + $0 }.first { path in
            FileManager.default.contents(atPath: path).map { [UInt8]($0) == bytes } ?? false
        }
    }

    func durableWrite(_ bytes: [UInt8], to final: String, via temporary: String, like info: stat, kill: String?) throws(MigrationError) {
        var descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io("create", temporary, errno: errno) }
        do throws(MigrationError) {
            if let failure = bytes.withUnsafeBytes({ FileWriting.writeAll(descriptor, $0) }) { throw .io("write", temporary, errno: failure) }
            if let kill { killHook.step("\(kill)-temp-written") }
            guard fsync(descriptor) == 0 else { throw .io("fsync", temporary, errno: errno) }
            if geteuid() == 0 { fchown(descriptor, info.st_uid, info.st_gid) }
            guard fchmod(descriptor, info.st_mode & 0o7777) == 0 else { throw .io("set the permissions of", temporary, errno: errno) }
            if let kill { killHook.step("\(kill)-fsynced") }
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0 else { throw .io("write", temporary, errno: errno) }
            guard rename(temporary, final) == 0 else { throw .io("rename into place", final, errno: errno) }
            if let kill { killHook.step("\(kill)-renamed") }
            do {
                try AtomicFile.syncDirectory(PathRules.parent(final))
            } catch {
                throw .io("fsync the folder", PathRules.parent(final), errno: error.code)
            }
        } catch {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporary)
            throw error
        }
    }
}
