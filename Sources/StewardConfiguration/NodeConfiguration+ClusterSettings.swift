/// Cluster settings named in `installed.properties`: they seed a new cluster, and a node whose
/// value differs from the cluster's is warned about at start (the cluster's value wins).
extension NodeConfiguration {
    static func localClusterSettings(_ reader: PropertyReader) throws(ConfigurationError) -> (ClusterSettings, [String: String]) {
        var explicit: [String: String] = [:]
        for definition in ClusterSettings.definitions {
            guard let text = reader.string(definition.key) else { continue }
            switch definition.canonical(text) {
            case .success(let canonical): explicit[definition.key] = canonical
            case .failure(let error): throw reader.error(definition.key, error.message)
            }
        }
        do {
            return (try ClusterSettings(values: explicit), explicit)
        } catch {
            throw reader.error(error.key, error.message)
        }
    }

    /// One warning per local value that the cluster overrides.
    public func settingConflicts(with cluster: ClusterSettings) -> [String] {
        localSettings.keys.sorted().compactMap { key in
            guard let local = localSettings[key], let value = cluster.values[key], value != local else { return nil }
            let place = keyLines[key].map { "\(configFile):\($0)" } ?? configFile
            return "\(place): \(key)=\(local) is overridden by the cluster's value \(value); cluster settings live in the database (stewardctl cluster settings set \(key) VALUE), so remove the key from installed.properties"
        }
    }
}
