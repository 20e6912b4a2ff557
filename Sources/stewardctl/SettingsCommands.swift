import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct SettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Read and change the cluster-wide settings (timing, login policy, sessions, retention).",
        discussion: """
            Cluster settings live in the database and are the same for every node; a change reaches every \
            node within one heartbeat, with no restart, and is audited. installed.properties may name them \
            only as the values a new cluster starts with. Needs the admin role.
            """,
        subcommands: [SettingsList.self, SettingsGet.self, SettingsSet.self])
}

enum SettingsTable {
    static func render(_ settings: [ClusterSettingInfo]) -> String {
        Table.render(["KEY", "VALUE", "DEFAULT", "CHANGED BY"], settings.map { setting in
            [setting.key, setting.value, setting.defaultValue, setting.updatedBy ?? "-"]
        })
    }

    static func details(_ setting: ClusterSettingInfo) -> String {
        Table.pairs([
            ("key", setting.key), ("value", setting.value), ("default", setting.defaultValue), ("meaning", setting.meaning),
            ("changed", setting.updatedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "-"), ("changed by", setting.updatedBy ?? "-"),
        ])
    }
}

struct SettingsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every cluster setting with its value and default.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let settings = try await callServer(try connection.client()) { try await $0.clusterSettings() }
            try output.show(settings, SettingsTable.render)
        }
    }
}

struct SettingsGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "One setting, with its meaning and last change.")
    @Argument(help: "The setting's key, such as cluster.node.offline.after.") var key: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let setting = try await callServer(try connection.client()) { try await $0.clusterSetting(key) }
            try output.show(setting, SettingsTable.details)
        }
    }
}

struct SettingsSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change one setting for the whole cluster.",
        discussion: "Durations take a unit (500ms, 3s, 2m, 1h, 7d). The value is checked against the others (the offline limit must be at least twice the heartbeat interval) before it is stored.")
    @Argument(help: "The setting's key.") var key: String
    @Argument(help: "The new value.") var value: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let setting = try await callServer(try connection.client()) { try await $0.setClusterSetting(key, to: value) }
            try output.show(setting) { "\($0.key) is now \($0.value) on every node (within one heartbeat)" }
        }
    }
}
