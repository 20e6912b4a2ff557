import StewardDatabase
import StewardJobs

/// Housekeeping, as pooled jobs that built-in cluster schedules fire once per slot for the whole
/// cluster (see `Housekeeping.schedules`). Each deletes what is past its retention setting.
struct PurgeExpiredSessions: JobKind {
    struct Arguments: Codable, Sendable {}
    struct Output: Codable, Sendable { var sessions: Int }
    static let name = "housekeeping.purge-sessions"

    func run(_ arguments: Arguments, context: JobContext) async throws -> Output {
        let deleted = try await context.database.run("""
            DELETE FROM http_sessions WHERE least(idle_expires_at, absolute_expires_at) < now() - interval '1 day' RETURNING 1
            """, logger: context.logger).count
        return Output(sessions: deleted)
    }
}

struct PurgeLoginAttempts: JobKind {
    struct Arguments: Codable, Sendable {}
    struct Output: Codable, Sendable { var counters: Int }
    static let name = "housekeeping.purge-login-attempts"

    func run(_ arguments: Arguments, context: JobContext) async throws -> Output {
        let deleted = try await LoginFailureRepository(logger: context.logger)
            .purge(olderThan: context.settings.loginAttemptRetention, on: context.database)
        return Output(counters: deleted)
    }
}

struct PurgeAudit: JobKind {
    struct Arguments: Codable, Sendable {}
    struct Output: Codable, Sendable { var entries: Int }
    static let name = "housekeeping.purge-audit"
    static let timeout: Duration = .seconds(1800)

    /// In slices, so that years of audit rows never hold a long lock.
    func run(_ arguments: Arguments, context: JobContext) async throws -> Output {
        let seconds = context.settings.auditRetention.inSeconds
        var total = 0
        while true {
            let deleted = try await context.database.run("""
                DELETE FROM audit_log WHERE audit_id IN (
                    SELECT audit_id FROM audit_log WHERE at < now() - make_interval(secs => \(seconds)) LIMIT 5000)
                RETURNING 1
                """, logger: context.logger).count
            total += deleted
            if deleted < 5000 { return Output(entries: total) }
        }
    }
}
