import StewardConfiguration
import StewardJobs
import StewardModel

/// The job kinds a node knows, and the schedules the cluster ships with.
enum NodeJobs {
    static func registry(configuration: NodeConfiguration, logFolder: String, caches: ClearableCaches) -> JobRegistry {
        var registry = JobRegistry()
        registry.register(PurgeFinishedJobs())
        registry.register(PurgeExpiredSessions())
        registry.register(PurgeLoginAttempts())
        registry.register(PurgeAudit())
        registry.register(LogFolderSize(folder: logFolder))
        registry.register(TemporaryFileSweep(folder: configuration.temporaryDirectory))
        registry.register(ClearCaches(caches: caches))
        registry.register(NoopJob())
        registry.register(RecordLicenseUsage())
        #if DEBUG
        TestJobs.register(into: &registry)
        #endif
        return registry
    }

    /// Added by the leader when missing; an operator may retune or pause them, not delete them.
    static let builtInSchedules: [ScheduleDefinition] = [
        .init(name: "purge-finished-jobs", kind: PurgeFinishedJobs.name, scope: .pooled, timing: .interval(.seconds(600))),
        .init(name: "purge-expired-sessions", kind: PurgeExpiredSessions.name, scope: .pooled, timing: .interval(.seconds(3600))),
        .init(name: "purge-login-attempts", kind: PurgeLoginAttempts.name, scope: .pooled, timing: .interval(.seconds(3600))),
        .init(name: "purge-audit", kind: PurgeAudit.name, scope: .pooled, timing: .interval(.seconds(86400)), misfire: .fireOnce),
        .init(name: "license-usage", kind: RecordLicenseUsage.name, scope: .pooled, timing: .interval(.seconds(3600))),
        .init(name: "log-folder-size", kind: LogFolderSize.name, scope: .local, timing: .interval(.seconds(900)), misfire: .skip),
        .init(name: "temp-sweep", kind: TemporaryFileSweep.name, scope: .local, timing: .interval(.seconds(3600)), misfire: .skip),
    ]
}
