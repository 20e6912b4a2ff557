import Foundation
import Hummingbird
import StewardDatabase
import StewardModel

/// `/health/live` (the process answers) and `/health/ready` (this node should get traffic:
/// database reachable, schema compatible with this binary, node online). Load balancers call
/// these every few seconds, so readiness asks the database one small question with a short limit.
struct HealthRoutes {
    let runtime: NodeRuntime
    let readinessTimeout: Duration = .seconds(2)

    func add(to router: Router<StewardRequestContext>) {
        router.get("/health/live") { _, _ in
            HealthReport(status: "live", checks: ["process": "ok"])
        }
        router.get("/health/ready") { _, _ in
            let report = await readiness()
            return EditedResponse(status: report.status == "ready" ? .ok : .serviceUnavailable, response: report)
        }
    }

    func readiness() async -> HealthReport {
        var checks: [String: String] = [:]
        let clusters = ClusterRepository(logger: runtime.logger)
        do {
            let client = runtime.database
            let record = try await withDeadline(readinessTimeout, "readiness check") { try await clusters.fetch(on: client) }
            checks["database"] = "ok"
            if let record {
                checks["schema"] = SchemaCompatibility.check(record)?.message ?? "ok"
            } else {
                checks["schema"] = "the cluster row is missing"
            }
        } catch {
            checks["database"] = "unreachable: \(error)"
            checks["schema"] = "unknown"
        }
        let state = runtime.state
        checks["node"] = runtime.acceptsWork ? "ok" : state == .online ? "lease expired: no recent heartbeat" : state.described
        let ready = checks.values.allSatisfy { $0 == "ok" }
        return HealthReport(status: ready ? "ready" : "not ready", checks: checks)
    }
}
