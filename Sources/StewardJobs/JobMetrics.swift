import CoreMetrics
import StewardModel

/// The job pool's metrics, through swift-metrics into whatever factory the node gives (Prometheus
/// on a real node). Every metric is made here, once, at start: per-kind ones for each registered
/// kind (plus "other" for kinds this node does not know), so nothing registers a metric later.
public final class JobMetrics: Sendable {
    static let outcomes: [JobState] = [.completed, .retryable, .discarded, .cancelled, .available]

    private let finished: [String: [JobState: Counter]]
    private let runTime: [String: Timer]
    let claimed: Counter
    let rescued: Counter
    /// Completion writes refused by the fencing token.
    let rejected: Counter
    let firings: Counter
    let running: Gauge
    let leaderTerm: Gauge
    let leading: Gauge
    let queueDepth: [String: Gauge]

    public init(kinds: [String], factory: any MetricsFactory) {
        var finished: [String: [JobState: Counter]] = [:]
        var runTime: [String: Timer] = [:]
        for kind in kinds + ["other"] {
            finished[kind] = Dictionary(uniqueKeysWithValues: Self.outcomes.map { outcome in
                (outcome, Counter(label: "steward_jobs_finished_total",
                                  dimensions: [("kind", kind), ("outcome", Self.label(outcome))], factory: factory))
            })
            runTime[kind] = Timer(label: "steward_job_run_seconds", dimensions: [("kind", kind)], factory: factory)
        }
        self.finished = finished
        self.runTime = runTime
        claimed = Counter(label: "steward_jobs_claimed_total", factory: factory)
        rescued = Counter(label: "steward_jobs_rescued_total", factory: factory)
        rejected = Counter(label: "steward_jobs_rejected_completions_total", factory: factory)
        firings = Counter(label: "steward_schedule_firings_total", factory: factory)
        running = Gauge(label: "steward_jobs_running", factory: factory)
        leaderTerm = Gauge(label: "steward_leader_term", factory: factory)
        leading = Gauge(label: "steward_leader", factory: factory)
        queueDepth = Dictionary(uniqueKeysWithValues: ["ready", "scheduled", "running"].map { state in
            (state, Gauge(label: "steward_jobs_queue_depth", dimensions: [("state", state)], factory: factory))
        })
    }

    /// "retried" reads better on a dashboard than the state names for an attempt that will run again.
    static func label(_ outcome: JobState) -> String {
        switch outcome {
        case .retryable, .available: return outcome == .retryable ? "retried" : "interrupted"
        default: return outcome.rawValue
        }
    }

    func recordFinished(kind: String, state: JobState, runTime duration: Duration) {
        let key = finished[kind] == nil ? "other" : kind
        finished[key]?[state]?.increment()
        runTime[key]?.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Queue depth, as the database counted it just now (`/metrics` asks before it renders).
    public func recordDepth(_ depth: JobDepth) {
        queueDepth["ready"]?.record(depth.ready)
        queueDepth["scheduled"]?.record(depth.scheduled)
        queueDepth["running"]?.record(depth.running)
    }
}

/// Jobs waiting and running, cluster-wide.
public struct JobDepth: Sendable, Equatable {
    public var ready: Int
    public var scheduled: Int
    public var running: Int
}
