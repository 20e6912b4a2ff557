/// The cluster-wide settings, as one validated value. They live in the database (`cluster_settings`)
/// and every node uses the database's copy, so that nodes never disagree about timing or policy; a
/// node's `installed.properties` may name them only as the values a new cluster starts with.
public struct ClusterSettings: Sendable, Equatable {
    public static let definitions: [ClusterSettingDefinition] = [
        .init(key: "cluster.heartbeat.interval", kind: .duration(.milliseconds(200)...(.seconds(60))), defaultValue: "3s",
              meaning: "how often each node marks itself alive, on database time"),
        .init(key: "cluster.node.offline.after", kind: .duration(.seconds(1)...(.seconds(600))), defaultValue: "12s",
              meaning: "a node not seen for this long is offline and the others take over its work (at least twice the heartbeat interval)"),
        .init(key: "cluster.max.nodes", kind: .integer(1...20), defaultValue: "20",
              meaning: "the cluster refuses to grow beyond this many nodes (decommissioned ones do not count)"),
        .init(key: "cluster.max.clock.skew", kind: .duration(.seconds(1)...(.seconds(3600))), defaultValue: "30s",
              meaning: "a node whose clock differs from the database's by more than this stops taking work"),
        .init(key: "security.password.min.length", kind: .integer(8...128), defaultValue: "12",
              meaning: "the shortest password a user may set"),
        .init(key: "security.session.idle.timeout", kind: .duration(.seconds(5)...(.seconds(30 * 86400))), defaultValue: "30m",
              meaning: "a browser session ends after this long unused"),
        .init(key: "security.session.absolute.timeout", kind: .duration(.seconds(5)...(.seconds(90 * 86400))), defaultValue: "12h",
              meaning: "a browser session ends this long after login, used or not"),
        .init(key: "security.token.max.lifetime", kind: .duration(.seconds(86400)...(.seconds(3650 * 86400))), defaultValue: "365d",
              meaning: "the longest an API token lives; tokens without an expiry end at this age"),
        .init(key: "security.login.max.failures", kind: .integer(1...1000), defaultValue: "5",
              meaning: "failed logins for one account from one client (address or device) in the window before that client is refused for that account"),
        .init(key: "security.login.max.failures.per.address", kind: .integer(1...100_000), defaultValue: "20",
              meaning: "failed logins from one address (IPv6: its /64) in the window, for any account, before the address is refused"),
        .init(key: "security.login.failure.window", kind: .duration(.seconds(60)...(.seconds(86400))), defaultValue: "15m",
              meaning: "how long a failed login counts against a client"),
        .init(key: "security.login.account.slowdown.after", kind: .integer(1...100_000), defaultValue: "10",
              meaning: "failed logins for one account from all clients in the window after which new clients are slowed (never locked out)"),
        .init(key: "security.login.account.delay.max", kind: .duration(.milliseconds(100)...(.seconds(30))), defaultValue: "3s",
              meaning: "the longest a slowed login waits before its password is checked"),
        .init(key: "jobs.poll.interval", kind: .duration(.milliseconds(100)...(.seconds(60))), defaultValue: "1s",
              meaning: "how often idle workers look for jobs when no notification came (notifications wake them at once)"),
        .init(key: "retention.jobs", kind: .duration(.seconds(3600)...(.seconds(3650 * 86400))), defaultValue: "7d",
              meaning: "finished jobs (completed, discarded, cancelled) and schedule firings older than this are deleted"),
        .init(key: "logs.folder.warn.size", kind: .integer(1...1_000_000), defaultValue: "2048",
              meaning: "a node warns when its log folder (appdata/logs/<node>) grows past this many MiB"),
        .init(key: "retention.audit", kind: .duration(.seconds(86400)...(.seconds(3650 * 86400))), defaultValue: "365d",
              meaning: "audit entries older than this are deleted"),
        .init(key: "retention.login.attempts", kind: .duration(.seconds(3600)...(.seconds(365 * 86400))), defaultValue: "7d",
              meaning: "login failure counters older than this are deleted (they stop counting after the failure window anyway)"),
    ]

    public static let keys: Set<String> = Set(definitions.map(\.key))

    public static func definition(_ key: String) -> ClusterSettingDefinition? { definitions.first { $0.key == key } }

    public static let defaults: ClusterSettings = {
        // The catalog's defaults are valid by construction; a mistake in them fails every test at once.
        guard let settings = try? ClusterSettings(values: [:]) else { preconditionFailure("the default cluster settings are invalid") }
        return settings
    }()

    /// Every key, in canonical spelling.
    public private(set) var values: [String: String]
    /// The same values parsed once (they are read on every request).
    private var durations: [String: Duration] = [:]
    private var integers: [String: Int] = [:]

    /// Missing keys take their defaults; each value and the rules between them are checked.
    public init(values given: [String: String]) throws(ClusterSettingError) {
        var values: [String: String] = [:]
        for definition in Self.definitions {
            switch definition.canonical(given[definition.key] ?? definition.defaultValue) {
            case .success(let text): values[definition.key] = text
            case .failure(let error): throw error
            }
        }
        self.values = values
        for definition in Self.definitions {
            guard let text = values[definition.key] else { continue }
            switch definition.kind {
            case .duration: durations[definition.key] = DurationText.parse(text)
            case .integer: integers[definition.key] = Int(text)
            }
        }
        try checkRules()
    }

    public static func == (lhs: ClusterSettings, rhs: ClusterSettings) -> Bool { lhs.values == rhs.values }

    /// These settings with `key` set to `text`, or why not.
    public func setting(_ key: String, to text: String) throws(ClusterSettingError) -> ClusterSettings {
        guard let definition = Self.definition(key) else {
            throw ClusterSettingError(key: key, "is not a cluster setting; see `stewardctl cluster settings list`")
        }
        var changed = values
        switch definition.canonical(text) {
        case .success(let canonical): changed[key] = canonical
        case .failure(let error): throw error
        }
        return try ClusterSettings(values: changed)
    }

    func checkRules() throws(ClusterSettingError) {
        if nodeOfflineAfter < heartbeatInterval * 2 {
            throw ClusterSettingError(key: "cluster.node.offline.after",
                "\(values["cluster.node.offline.after"] ?? "?") must be at least twice cluster.heartbeat.interval (\(values["cluster.heartbeat.interval"] ?? "?")), or one late heartbeat marks a node offline")
        }
        if sessionIdleTimeout > sessionAbsoluteTimeout {
            throw ClusterSettingError(key: "security.session.idle.timeout",
                "is longer than security.session.absolute.timeout, which always ends a session first")
        }
    }

    public func duration(_ key: String) -> Duration { durations[key] ?? .zero }
    public func integer(_ key: String) -> Int { integers[key] ?? 0 }

    public var heartbeatInterval: Duration { duration("cluster.heartbeat.interval") }
    public var nodeOfflineAfter: Duration { duration("cluster.node.offline.after") }
    public var maxNodes: Int { integer("cluster.max.nodes") }
    public var maxClockSkew: Duration { duration("cluster.max.clock.skew") }
    public var passwordMinimumLength: Int { integer("security.password.min.length") }
    public var sessionIdleTimeout: Duration { duration("security.session.idle.timeout") }
    public var sessionAbsoluteTimeout: Duration { duration("security.session.absolute.timeout") }
    public var tokenMaxLifetime: Duration { duration("security.token.max.lifetime") }
    public var loginMaxFailures: Int { integer("security.login.max.failures") }
    public var loginMaxFailuresPerAddress: Int { integer("security.login.max.failures.per.address") }
    public var loginFailureWindow: Duration { duration("security.login.failure.window") }
    public var loginAccountSlowdownAfter: Int { integer("security.login.account.slowdown.after") }
    public var loginAccountDelayMax: Duration { duration("security.login.account.delay.max") }
    public var jobsPollInterval: Duration { duration("jobs.poll.interval") }
    public var jobRetention: Duration { duration("retention.jobs") }
    public var logFolderWarnMebibytes: Int { integer("logs.folder.warn.size") }
    public var auditRetention: Duration { duration("retention.audit") }
    public var loginAttemptRetention: Duration { duration("retention.login.attempts") }
}
