import StewardConfiguration
import Testing

@Suite("Cluster settings: one catalog, canonical values, rules between them, local conflicts")
struct ClusterSettingsTests {
    @Test("defaults are valid and every key has a meaning")
    func defaults() {
        let settings = ClusterSettings.defaults
        #expect(settings.heartbeatInterval == .seconds(3))
        #expect(settings.nodeOfflineAfter == .seconds(12))
        #expect(settings.maxNodes == 20)
        #expect(settings.tokenMaxLifetime == .seconds(365 * 86400))
        #expect(settings.values.count == ClusterSettings.definitions.count)
        #expect(ClusterSettings.definitions.allSatisfy { !$0.meaning.isEmpty })
    }

    @Test("values are stored in canonical spelling", arguments: [
        ("cluster.node.offline.after", "6000ms", "6s"), ("cluster.node.offline.after", " 1m ", "1m"),
        ("retention.audit", "720h", "30d"), ("cluster.max.nodes", "07", "7"),
    ])
    func canonical(key: String, given: String, stored: String) throws {
        #expect(try ClusterSettings.defaults.setting(key, to: given).values[key] == stored)
    }

    @Test("bad values and broken rules are refused, naming the key", arguments: [
        ("cluster.heartbeat.interval", "fast", "cluster.heartbeat.interval: 'fast' is not a duration such as 500ms, 3s, 2m, 1h or 7d"),
        ("cluster.node.offline.after", "5s", "cluster.node.offline.after: 5s must be at least twice cluster.heartbeat.interval (3s)"),
        ("cluster.max.nodes", "0", "cluster.max.nodes: 0 is outside 1...20"),
        ("security.session.idle.timeout", "13h", "security.session.idle.timeout: is longer than security.session.absolute.timeout"),
        ("cluster.nodes", "3", "cluster.nodes: is not a cluster setting"),
    ])
    func refused(key: String, value: String, message: String) {
        #expect { _ = try ClusterSettings.defaults.setting(key, to: value) } throws: { "\($0)".hasPrefix(message) }
    }

    @Test("a node's explicit values seed a new cluster; where the cluster's differ, each is named with its line")
    func conflicts() throws {
        let configuration = try NodeConfiguration(file: PropertiesFile(path: "/etc/steward/installed.properties", text: """
            server.appdata.dir=/a
            cluster.node.offline.after=20000ms
            cluster.heartbeat.interval=3s
            server.master.key.file=/dev/null
            """))
        #expect(configuration.localSettings == ["cluster.node.offline.after": "20s", "cluster.heartbeat.interval": "3s"])
        #expect(configuration.bootstrapSettings.nodeOfflineAfter == .seconds(20))
        let cluster = try ClusterSettings.defaults.setting("cluster.node.offline.after", to: "6s")
        let warnings = configuration.settingConflicts(with: cluster)
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("/etc/steward/installed.properties:2: cluster.node.offline.after=20s is overridden by the cluster's value 6s") == true)
    }
}
