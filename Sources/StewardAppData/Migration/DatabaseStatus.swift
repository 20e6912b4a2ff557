/// What the shared database says about nodes using the data, found by the caller (stewardctl
/// owns the database connection; this module does not depend on the database).
public enum DatabaseStatus: Sendable, Equatable {
    /// No `--properties`, or its database settings could not be read: only lock files are checked.
    case notChecked(String)
    /// The database did not answer: only lock files are checked.
    case unreachable(String)
    /// The database answered and no node of the cluster is running.
    case quiet(database: String, cluster: String?)
    /// Nodes not stopped that heartbeat within the last 30 seconds.
    case active(database: String, nodes: [String])
    /// The database holds another cluster than the one the source appdata belongs to.
    case otherCluster(database: String, databaseCluster: String, appDataCluster: String)

    public var summary: String {
        switch self {
        case .notChecked(let reason):
            return "not checked (\(reason)); relying on the lock files"
        case .unreachable(let reason):
            return "unreachable (\(reason)); relying on the lock files"
        case .quiet(let database, let cluster):
            return "\(database): " + (cluster.map { "cluster \($0), no node running" } ?? "holds no cluster yet")
        case .active(let database, let nodes):
            return "\(database): running nodes \(nodes.joined(separator: ", "))"
        case .otherCluster(let database, let databaseCluster, _):
            return "\(database): holds cluster \(databaseCluster)"
        }
    }

    var refusal: MigrationError? {
        switch self {
        case .active(let database, let nodes):
            return MigrationError(.databaseActive,
                "the database \(database) shows nodes of this cluster running (\(nodes.joined(separator: ", ")): not stopped, seen in the last 30 seconds). Stop every node of the cluster, wait for them to show as stopped, then run the command again")
        case .otherCluster(let database, let databaseCluster, let appDataCluster):
            return MigrationError(.foreignDestination,
                "the source appdata belongs to cluster \(appDataCluster), but the database \(database) named in --properties holds cluster \(databaseCluster); a node with this installed.properties could not use the migrated data. Check that --properties is this node's file")
        case .notChecked, .unreachable, .quiet:
            return nil
        }
    }
}
