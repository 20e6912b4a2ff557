import StewardConfiguration
import Synchronization

/// This node's copy of the cluster settings. The heartbeat reloads it whenever the database's
/// settings version moves on, so a change made through any node is in force everywhere within one
/// heartbeat interval, without a restart.
public final class LiveSettings: Sendable {
    private let state: Mutex<(settings: ClusterSettings, version: Int64)>

    public init(_ settings: ClusterSettings, version: Int64) { state = Mutex((settings, version)) }

    public var current: ClusterSettings { state.withLock { $0.settings } }
    public var version: Int64 { state.withLock { $0.version } }

    /// Stores a newer copy; returns the keys whose values changed (empty for an older or equal version).
    @discardableResult
    public func update(_ settings: ClusterSettings, version: Int64) -> [String] {
        state.withLock { state in
            guard version > state.version else { return [] }
            let changed = settings.values.keys.filter { settings.values[$0] != state.settings.values[$0] }.sorted()
            state = (settings, version)
            return changed
        }
    }
}
