import CoreMetrics
import Prometheus
import StewardCluster
import StewardModel

/// The node's metrics registry, rendered by `GET /metrics`. One registry per node process, made
/// at start; every metric is created once (swift-prometheus stops the process on a conflicting
/// second registration), here or in `JobMetrics`.
final class NodeMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let heartbeat: CoreMetrics.Timer
    let nodeState: [NodeState: CoreMetrics.Gauge]
    /// Seats per kind and measure ("in_use", "licensed"), and how many license warnings stand.
    let licenseSeats: [String: CoreMetrics.Gauge]
    let licenseWarnings: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["steward_heartbeat_seconds"] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        ]
        self.factory = factory
        heartbeat = CoreMetrics.Timer(label: "steward_heartbeat_seconds", factory: factory)
        licenseSeats = Dictionary(uniqueKeysWithValues: ["user", "agent"].flatMap { kind in
            ["in_use", "licensed"].map { measure in
                ("\(kind) \(measure)", CoreMetrics.Gauge(label: "steward_license_seats", dimensions: [("kind", kind), ("measure", measure)], factory: factory))
            }
        })
        licenseWarnings = CoreMetrics.Gauge(label: "steward_license_warnings", factory: factory)
        nodeState = Dictionary(uniqueKeysWithValues: NodeState.allCases.map { state in
            (state, CoreMetrics.Gauge(label: "steward_node_state", dimensions: [("state", state.rawValue)], factory: factory))
        })
    }

    func observeHeartbeat(_ duration: Duration) {
        heartbeat.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// One gauge per state, 1 for this node's own.
    func recordState(_ state: MembershipState) {
        for (rowState, gauge) in nodeState { gauge.record(rowState == state.rowState ? 1 : 0) }
    }

    func recordLicense(_ summary: LicenseSummary) {
        for seat in summary.seats {
            licenseSeats["\(seat.kind) in_use"]?.record(seat.inUse)
            licenseSeats["\(seat.kind) licensed"]?.record(seat.licensed)
        }
        licenseWarnings.record(summary.warnings.count)
    }

    func render() -> [UInt8] { registry.emitToBuffer() }
}
