import CoreMetrics
import Logging
import ServiceLifecycle
import StewardCluster
import StewardDatabase
import StewardModel

/// A node's part of the job pool, assembled: its worker and its leader candidate, over the kinds
/// it knows. The node adds `services` to its service group (after the database pool, so that
/// handlers still have it while the worker finishes at shutdown).
public struct JobPool: Sendable {
    public let registry: JobRegistry
    public let worker: JobWorker
    public let leader: LeaderService
    public let metrics: JobMetrics

    public init(registry: JobRegistry, builtIns: [ScheduleDefinition], membership: NodeMembership, settings: LiveSettings,
                handlerDatabase: any QueryRunner, connector: DatabaseConnector, worker configuration: JobWorker.Configuration,
                metricsFactory: any MetricsFactory, logger: Logger) {
        self.registry = registry
        metrics = JobMetrics(kinds: registry.names, factory: metricsFactory)
        worker = JobWorker(configuration: configuration, membership: membership, settings: settings, registry: registry,
                           handlerDatabase: handlerDatabase, connector: connector, metrics: metrics, logger: logger)
        leader = LeaderService(membership: membership, settings: settings, registry: registry, builtIns: builtIns,
                               connector: connector, metrics: metrics, logger: logger)
    }

    public var services: [any Service] { [worker, leader] }

    /// A notification on `JobQueue.channel`.
    public func heard(_ payload: String) {
        if payload == "schedules" { return leader.schedulesChanged() }
        worker.heard(payload)
    }
}
