#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an appdata migration refused to start or stopped, in the operator's terms: what was
/// found, and what to do about it. A refusal is found before anything changes; a failure
/// stops a run part-way, which is safe to run again once the cause is fixed.
public struct MigrationError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Codable {
        // Refusals: nothing has been changed.
        case badPath, nested, serverRunning, migrationRunning, lockCheckFailed, databaseActive, foreignDestination, notEnoughSpace
        case readOnlyDestination, escapingSymlink, symlinkedParent, unsupportedFile, sourceMissing, propertiesInvalid
        case notMigrated, originalsChanged, copiesChanged, conflict
        // Failures part-way: the journal lets the next run carry on.
        case ioFailure, verificationFailed, sourceChanged, journalDamaged
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// A failed system call while copying, with the advice that fits its errno.
    public static func io(_ operation: String, _ path: String, errno code: Int32) -> MigrationError {
        let reason = String(cString: strerror(code))
        let advice: String
        switch code {
        case ENOSPC, EDQUOT:
            advice = "free space on the destination's storage (or grow it), then run the same command again: it resumes where it stopped"
        case EROFS:
            advice = "the destination is mounted read-only; remount it read-write, then run the same command again"
        case EACCES, EPERM:
            advice = "run the migration as a user that may read the source and write the destination (usually the Steward service user or root)"
        default:
            advice = "fix the cause, then run the same command again: it resumes where it stopped"
        }
        return MigrationError(.ioFailure, "cannot \(operation) \(path): \(reason); \(advice)")
    }
}
