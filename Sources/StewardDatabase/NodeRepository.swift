import Foundation
import Logging
import PostgresNIO
import StewardModel

/// What a starting node tells the cluster about itself.
public struct NodeRegistration: Sendable {
    public var name: String
    public var host: String
    public var httpPort: Int
    public var httpsPort: Int
    public var webSocketPort: Int
    public var softwareVersion: SoftwareVersion
    public var pid: Int32

    public init(name: String, host: String, httpPort: Int, httpsPort: Int, webSocketPort: Int, softwareVersion: SoftwareVersion, pid: Int32) {
        self.name = name
        self.host = host
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.webSocketPort = webSocketPort
        self.softwareVersion = softwareVersion
        self.pid = pid
    }
}

/// A row of `nodes`, as the API shows it.
public struct NodeRecord: Sendable, Equatable, Codable {
    public let nodeID: NodeID
    public let name: String
    public let host: String
    public let httpPort: Int
    public let httpsPort: Int
    public let webSocketPort: Int
    public let softwareVersion: String
    public let state: String
    public let startedAt: Date
    public let lastSeen: Date
    public let stoppedAt: Date?
}

public struct NodeRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    /// Inserts or takes over this node's row; call inside a transaction. Refuses a name that a
    /// different host has used within `activeWithin` (two machines configured with one name).
    public func register(_ node: NodeRegistration, activeWithin: Duration, on connection: PostgresConnection) async throws -> NodeRecord {
        let existing = try await connection.run("""
            SELECT node_id, host, state, EXTRACT(EPOCH FROM now() - last_seen)::float8
            FROM nodes WHERE name = \(node.name) FOR UPDATE
            """, logger: logger).first
        let nodeID: UUID
        if let existing {
            let (id, host, state, age) = try existing.decode((UUID, String, String, Double).self)
            let recent = age < Double(activeWithin.components.seconds)
            if host != node.host, state != "stopped", recent {
                throw DatabaseError(.query,
                    "node name \(node.name) is in use by host \(host), seen \(Int(age))s ago; give this node its own server.node.name")
            }
            nodeID = id
        } else {
            nodeID = UUID()
        }
        try await connection.run("""
            INSERT INTO nodes (node_id, name, host, http_port, https_port, websocket_port, software_version, state, pid)
            VALUES (\(nodeID), \(node.name), \(node.host), \(node.httpPort), \(node.httpsPort), \(node.webSocketPort),
                    \(node.softwareVersion.description), 'online', \(Int(node.pid)))
            ON CONFLICT (node_id) DO UPDATE SET
                host = EXCLUDED.host, http_port = EXCLUDED.http_port, https_port = EXCLUDED.https_port,
                websocket_port = EXCLUDED.websocket_port, software_version = EXCLUDED.software_version,
                state = 'online', pid = EXCLUDED.pid, started_at = now(), last_seen = now(), stopped_at = NULL
            """, logger: logger)
        guard let record = try await fetch(NodeID(nodeID), on: connection) else {
            throw DatabaseError(.query, "node row \(nodeID) vanished during registration")
        }
        return record
    }

    /// Marks the node alive on database time and returns that time (for clock-skew checks).
    @discardableResult
    public func heartbeat(_ nodeID: NodeID, on runner: some QueryRunner) async throws -> Date {
        let rows = try await runner.run("""
            UPDATE nodes SET last_seen = now() WHERE node_id = \(nodeID.uuid) RETURNING now()
            """, logger: logger)
        guard let row = rows.first else { throw DatabaseError(.query, "this node's row \(nodeID) is gone") }
        return try row.decode(Date.self)
    }

    public func markStopped(_ nodeID: NodeID, on runner: some QueryRunner) async throws {
        try await runner.run("""
            UPDATE nodes SET state = 'stopped', stopped_at = now(), last_seen = now() WHERE node_id = \(nodeID.uuid)
            """, logger: logger)
    }

    public func fetch(_ nodeID: NodeID, on runner: some QueryRunner) async throws -> NodeRecord? {
        try await records("""
            SELECT node_id, name, host, http_port, https_port, websocket_port, software_version, state,
                   started_at, last_seen, stopped_at
            FROM nodes WHERE node_id = \(nodeID.uuid)
            """, on: runner).first
    }

    public func list(on runner: some QueryRunner) async throws -> [NodeRecord] {
        try await records("""
            SELECT node_id, name, host, http_port, https_port, websocket_port, software_version, state,
                   started_at, last_seen, stopped_at
            FROM nodes ORDER BY name
            """, on: runner)
    }

    func records(_ query: PostgresQuery, on runner: some QueryRunner) async throws -> [NodeRecord] {
        var records: [NodeRecord] = []
        for row in try await runner.run(query, logger: logger) {
            let (id, name, host, http, https, ws, version, state, started, seen, stopped) = try row.decode((UUID, String, String, Int, Int, Int, String, String, Date, Date, Date?).self)
            records.append(NodeRecord(
                nodeID: NodeID(id), name: name, host: host, httpPort: http, httpsPort: https, webSocketPort: ws,
                softwareVersion: version, state: state, startedAt: started, lastSeen: seen, stoppedAt: stopped))
        }
        return records
    }
}
