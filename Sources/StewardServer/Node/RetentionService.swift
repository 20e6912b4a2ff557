import Logging
import ServiceLifecycle
import StewardDatabase

/// Deletes what is past its retention (cluster settings `retention.*`): login failure counters,
/// audit entries, sessions long expired. Every online node runs it now and then; the deletes are
/// idempotent, so several nodes doing it at once cost a few empty statements. (The job pool's
/// leader takes this over as cluster schedules.)
struct RetentionService: Service {
    let runtime: NodeRuntime
    var interval: Duration = .seconds(600)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval + .seconds(Int64.random(in: 0...60)))
                guard runtime.acceptsWork else { continue }
                await purge()
            }
        }
    }

    func purge() async {
        let settings = runtime.cluster, logger = runtime.logger, database = runtime.database
        do {
            let counters = try await LoginFailureRepository(logger: logger).purge(olderThan: settings.loginAttemptRetention, on: database)
            let audit = try await database.run("""
                DELETE FROM audit_log WHERE at < now() - make_interval(secs => \(settings.auditRetention.inSeconds)) RETURNING 1
                """, logger: logger).count
            let sessions = try await database.run("""
                DELETE FROM http_sessions WHERE least(idle_expires_at, absolute_expires_at) < now() - interval '1 day' RETURNING 1
                """, logger: logger).count
            if counters + audit + sessions > 0 {
                logger.info("retention: deleted \(counters) login counters, \(audit) audit entries, \(sessions) expired sessions")
            }
        } catch {
            logger.warning("retention purge failed; it is tried again later: \(DatabaseError.readable(error))")
        }
    }
}
