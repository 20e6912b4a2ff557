
import StewardModel

/// Whether this binary may work against the cluster as the database describes it.
public enum SchemaCompatibility {
    /// nil when compatible; otherwise the refusal, in words for the operator.
    public static func check(_ cluster: ClusterRecord, software: SoftwareVersion = StewardVersion.current,
                             knownSchema: Int = Migrations.latestVersion) -> DatabaseError? {
        if cluster.schemaVersion > knownSchema {
            return DatabaseError(.schemaTooNew,
                "the database schema is at version \(cluster.schemaVersion) (cluster software \(cluster.softwareVersion)), newer than this steward-server \(software) knows (\(knownSchema)); install Steward \(cluster.softwareVersion) or later on this node")
        }
        if cluster.softwareVersion > software {
            return DatabaseError(.softwareTooOld,
                "the cluster runs Steward \(cluster.softwareVersion) and this node is \(software); upgrade required: install Steward \(cluster.softwareVersion) or later on this node")
        }
        return nil
    }
}
