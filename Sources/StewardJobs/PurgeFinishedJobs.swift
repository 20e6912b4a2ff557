import StewardDatabase

/// Housekeeping: deletes finished jobs and schedule firings older than `retention.jobs`, and job
/// statistics older than a day (the views show the last hour). Deletes in slices, so that a large
/// backlog never holds long locks.
public struct PurgeFinishedJobs: JobKind {
    public struct Arguments: Codable, Sendable {
        public init() {}
    }

    public struct Output: Codable, Sendable, Equatable {
        public var jobs = 0
        public var firings = 0
        public var statistics = 0
    }

    public static let name = "housekeeping.purge-jobs"
    public static let timeout: Duration = .seconds(600)

    public init() {}

    public func run(_ arguments: Arguments, context: JobContext) async throws -> Output {
        let seconds = context.settings.jobRetention.inSeconds, logger = context.logger, database = context.database
        var output = Output()
        while true {
            let deleted = try await database.run("""
                DELETE FROM jobs WHERE job_id IN (
                    SELECT job_id FROM jobs WHERE state IN ('completed', 'discarded', 'cancelled')
                      AND finished_at < now() - make_interval(secs => \(seconds)) LIMIT 5000)
                RETURNING 1
                """, logger: logger).count
            output.jobs += deleted
            if deleted < 5000 { break }
        }
        output.firings = try await database.run("""
            DELETE FROM schedule_firings WHERE fired_at < now() - make_interval(secs => \(seconds)) RETURNING 1
            """, logger: logger).count
        output.statistics = try await database.run("""
            DELETE FROM job_stats WHERE minute < now() - interval '1 day' RETURNING 1
            """, logger: logger).count
        return output
    }
}
