import Foundation
import Logging
import PostgresNIO
import StewardConfiguration
import StewardModel

/// The `cluster_settings` table: one row per cluster-wide setting, and `cluster.settings_version`,
/// which every change moves on so that each node's next heartbeat sees that it must reload.
public struct SettingsRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    /// Adds the settings the database lacks (all of them for a new cluster; new keys after an upgrade),
    /// with this node's values. Existing rows are left alone: the cluster's values win.
    public func seed(_ settings: ClusterSettings, by node: String, on connection: PostgresConnection) async throws {
        var added = 0
        for definition in ClusterSettings.definitions {
            let value = settings.values[definition.key] ?? definition.defaultValue
            added += try await connection.run("""
                INSERT INTO cluster_settings (key, value, number, updated_by)
                VALUES (\(definition.key), \(value), \(definition.number(value)), \(node))
                ON CONFLICT (key) DO NOTHING RETURNING 1
                """, logger: logger).count
        }
        if added > 0 { try await bumpVersion(on: connection) }
    }

    /// The cluster's settings and their version. Keys the database lacks take their defaults; a stored
    /// value this binary cannot read (written by a newer one) is reported, never silently replaced.
    public func load(on runner: some QueryRunner) async throws -> (settings: ClusterSettings, version: Int64) {
        let rows = try await runner.run("""
            SELECT s.key, s.value, c.settings_version FROM cluster c LEFT JOIN cluster_settings s ON true
            """, logger: logger)
        var values: [String: String] = [:]
        var version: Int64 = 0
        for row in rows {
            let (key, value, current) = try row.decode((String?, String?, Int64).self)
            version = current
            if let key, let value, ClusterSettings.keys.contains(key) { values[key] = value }
        }
        do {
            return (try ClusterSettings(values: values), version)
        } catch {
            throw DatabaseError(.query, "the cluster setting \(error); set a valid value with stewardctl cluster settings set")
        }
    }

    /// Every setting with its value, default, meaning and last change.
    public func list(on runner: some QueryRunner) async throws -> [ClusterSettingInfo] {
        let rows = try await runner.run("SELECT key, value, updated_at, updated_by FROM cluster_settings", logger: logger)
        var stored: [String: (String, Date, String)] = [:]
        for row in rows {
            let (key, value, at, by) = try row.decode((String, String, Date, String).self)
            stored[key] = (value, at, by)
        }
        return ClusterSettings.definitions.map { definition in
            let row = stored[definition.key]
            return ClusterSettingInfo(key: definition.key, value: row?.0 ?? definition.defaultValue, defaultValue: definition.defaultValue,
                                      meaning: definition.meaning, updatedAt: row?.1, updatedBy: row?.2)
        }
    }

    /// Sets one value, checked against the others under a lock on all of them (two operators changing
    /// the heartbeat and the offline limit at once cannot together break the rule between them).
    public func set(_ key: String, to text: String, by actor: String, on connection: PostgresConnection) async throws -> ClusterSettingInfo {
        try await connection.run("SELECT key FROM cluster_settings FOR UPDATE", logger: logger)
        let (current, _) = try await load(on: connection)
        let changed = try current.setting(key, to: text)
        guard let value = changed.values[key], let definition = ClusterSettings.definition(key) else {
            throw ClusterSettingError(key: key, "is not a cluster setting")
        }
        try await connection.run("""
            INSERT INTO cluster_settings (key, value, number, updated_by) VALUES (\(key), \(value), \(definition.number(value)), \(actor))
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, number = EXCLUDED.number, updated_at = now(), updated_by = EXCLUDED.updated_by
            """, logger: logger)
        try await bumpVersion(on: connection)
        return try await list(on: connection).first { $0.key == key }
            ?? ClusterSettingInfo(key: key, value: value, defaultValue: definition.defaultValue, meaning: definition.meaning, updatedAt: nil, updatedBy: actor)
    }

    func bumpVersion(on connection: PostgresConnection) async throws {
        try await connection.run("UPDATE cluster SET settings_version = settings_version + 1", logger: logger)
    }
}
