import Logging
import PostgresNIO

/// Something that runs a query: a pooled client, or one connection (inside a transaction).
/// Repositories take one so the same SQL serves both. `run` always reads the whole result:
/// postgres-nio reports a statement's error only when its rows are consumed, so a write whose
/// result was never read could fail without anyone noticing.
public protocol QueryRunner: Sendable {
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow]
}

extension PostgresConnection: QueryRunner {
    @discardableResult
    public func run(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }
}

extension PostgresClient: QueryRunner {
    @discardableResult
    public func run(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }
}
