import Foundation
import Logging
import PostgresNIO
import StewardModel

/// Who did what, when, on which node, from where. Written in the same transaction as the change
/// it describes wherever there is one.
public struct AuditRepository: Sendable {
    public let logger: Logger
    public init(logger: Logger) { self.logger = logger }

    public struct Event: Sendable {
        public var actor: String
        public var action: String
        public var target: String?
        public var node: String
        public var sourceAddress: String?
        public var details: [String: String]

        public init(actor: String, action: String, target: String? = nil, node: String, sourceAddress: String?, details: [String: String] = [:]) {
            self.actor = actor
            self.action = action
            self.target = target
            self.node = node
            self.sourceAddress = sourceAddress
            self.details = details
        }
    }

    public func record(_ event: Event, on runner: some QueryRunner) async throws {
        let details = String(decoding: try JSONEncoder().encode(event.details), as: UTF8.self)
        try await runner.run("""
            INSERT INTO audit_log (actor, action, target, node_name, source_address, details)
            VALUES (\(event.actor), \(event.action), \(event.target), \(event.node), \(event.sourceAddress), \(details)::jsonb)
            """, logger: logger)
    }

    /// Newest first; `before` pages backwards by id; `action` filters by prefix ("login" matches "login.failed").
    public func list(limit: Int, before: Int64?, action: String?, on runner: some QueryRunner) async throws -> [AuditEntry] {
        try await runner.run("""
            SELECT audit_id, at, actor, action, target, node_name, source_address, details::text FROM audit_log
            WHERE (\(before)::bigint IS NULL OR audit_id < \(before)::bigint)
              AND (\(action)::text IS NULL OR action = \(action)::text OR action LIKE \(action)::text || '.%')
            ORDER BY audit_id DESC LIMIT \(limit)
            """, logger: logger).map { row in
            let (id, at, actor, action, target, node, source, details) = try row.decode(
                (Int64, Date, String, String, String?, String, String?, String).self)
            let decoded = (try? JSONDecoder().decode([String: String].self, from: Data(details.utf8))) ?? [:]
            return AuditEntry(id: id, at: at, actor: actor, action: action, target: target, node: node, sourceAddress: source, details: decoded)
        }
    }
}
