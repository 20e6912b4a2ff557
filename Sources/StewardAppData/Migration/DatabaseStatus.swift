/// What the shared database says about nodes using the data, found by the caller (stewardctl
/// owns the database connection; this module does not depend on the database).
public enum DatabaseStatus: Sendable, Equatable {
    /// Which running nodes stop a migration.
    public enum Scope: Sendable, Equatable {
        /// Any node of the cluster: an appdata folder may be the cluster's shared appdata.
        case cluster
        /// Only this node: an installation holds the data of its own node alone.
        case node(String)
    }

    /// No `--properties`, or its database settings could not be read: only lock files are checked.
    case notChecked(String)
    /// The database did not answer: only lock files are checked.
    case unreachable(String)
    /// The database answered and no node in `scope` is running; `othersRunning` are running nodes
    /// outside it (only for an installation's node: other nodes of the cluster may run).
    case quiet(database: String, cluster: String?, scope: Scope, othersRunning: [String])
    /// Nodes in `scope` not stopped that heartbeat within the last 30 seconds.
    case active(database: String, nodes: [String], scope: Scope)
    /// The database holds another cluster than the one the source appdata belongs to.
    case otherCluster(database: String, databaseCluster: String, appDataCluster: String)

    public var summary: String {
        switch self {
        case .notChecked(let reason):
            return "not checked (\(reason)); relying on the lock files"
        case .unreachable(let reason):
            return "unreachable (\(reason)); relying on the lock files"
        case .quiet(let database, nil, _, _):
            return "\(database): holds no cluster yet"
        case .quiet(let database, let cluster?, .cluster, _):
            return "\(database): cluster \(cluster), no node running"
        case .quiet(let database, let cluster?, .node(let node), let others):
            let rest = others.isEmpty ? "" : " (running: \(others.joined(separator: ", ")); they do not use this installation)"
            return "\(database): cluster \(cluster), node \(node) not running\(rest)"
        case .active(let database, let nodes, _):
            return "\(database): running nodes \(nodes.joined(separator: ", "))"
        case .otherCluster(let database, let databaseCluster, _):
            return "\(database): holds cluster \(databaseCluster)"
        }
    }

    var refusal: MigrationError? {
        switch self {
        case .active(let database, let nodes, .cluster):
            return MigrationError(.databaseActive,
                "the database \(database) shows nodes of this cluster running (\(nodes.joined(separator: ", ")): not stopped, seen in the last 30 seconds). Stop every node of the cluster, wait for them to show as stopped, then run the command again")
        case .active(let database, _, .node(let node)):
            return MigrationError(.databaseActive,
                "the database \(database) shows node \(node), whose installation this is, running (not stopped, seen in the last 30 seconds). Stop it, wait for it to show as stopped, then run the command again")
        case .otherCluster(let database, let databaseCluster, let appDataCluster):
            return MigrationError(.foreignDestination,
                "the source appdata belongs to cluster \(appDataCluster), but the database \(database) named in --properties holds cluster \(databaseCluster); a node with this installed.properties could not use the migrated data. Check that --properties is this node's file")
        case .notChecked, .unreachable, .quiet:
            return nil
        }
    }
}
