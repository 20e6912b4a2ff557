import Foundation
import Hummingbird
import StewardDatabase
import StewardModel

/// `/health/live` (the process answers) and `/health/ready` (this node should get traffic:
/// database reachable, schema compatible with this binary, node online). Load balancers call
/// these every few seconds, so readiness asks the database one small question with a short limit.
struct HealthRoutes {
    let runtime: NodeRuntime

    func add(to router: Router<StewardRequestContext>) {
        router.get("/health/live") { _, _ in
            HealthReport(status: "live", checks: ["process": "ok"])
        }
        router.get("/health/ready") { _, _ in
            let report = await readiness()
            return EditedResponse(status: report.status == "ready" ? .ok : .serviceUnavailable, response: report)
        }
    }

    /// Answered from what the heartbeat last learned, with no query of its own: a node whose pool is
    /// busy with slow requests is still ready (it heartbeats, and it answers 503 only to what waits on
    /// the pool), and a load balancer's checks cost the database nothing.
    func readiness() async -> HealthReport {
        var checks: [String: String] = [:]
        let membership = runtime.membership
        let limit = max(runtime.cluster.heartbeatInterval * 2, .seconds(2))
        if let seen = membership.lastHeartbeat {
            let age = membership.clock.now - seen.at
            checks["database"] = age <= limit ? "ok" : "no heartbeat answered for \(Int(age.inSeconds))s (is the database reachable?)"
            checks["schema"] = seen.newerClusterVersion.map { "the cluster runs \($0); upgrade required" } ?? "ok"
        } else {
            checks["database"] = "no heartbeat answered yet"
            checks["schema"] = "unknown"
        }
        let state = runtime.state
        checks["node"] = runtime.acceptsWork ? "ok" : state == .online ? "lease expired: no recent heartbeat" : state.described
        let ready = checks.values.allSatisfy { $0 == "ok" }
        return HealthReport(status: ready ? "ready" : "not ready", checks: checks)
    }
}
