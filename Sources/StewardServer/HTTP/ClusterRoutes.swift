import Hummingbird
import StewardDatabase
import StewardModel

/// `GET /api/v1/cluster/info`: the cluster id, this node, and the versions in play.
struct ClusterRoutes {
    let runtime: NodeRuntime

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("cluster/info") { _, _ -> ClusterInfo in
            let client = runtime.database
            let clusters = ClusterRepository(logger: runtime.logger)
            guard let record = try await withDeadline(.seconds(5), "cluster lookup", { try await clusters.fetch(on: client) }) else {
                throw HTTPError(.serviceUnavailable, message: "the cluster row is missing from the database")
            }
            return ClusterInfo(
                clusterID: record.clusterID, nodeName: runtime.nodeName, nodeID: runtime.nodeID,
                softwareVersion: StewardVersion.current.description, schemaVersion: record.schemaVersion,
                clusterSoftwareVersion: record.softwareVersion.description)
        }
    }
}
