import Logging
import StewardModel
import PostgresNIO

/// The node's pooled connections, as the routes use them: each use first takes one of the pool's
/// permits within `acquireTimeout` (or fails with `DatabaseError.busy`, which the HTTP side answers
/// with 503 and Retry-After), and no query outlives its deadline. The heartbeat and LISTEN have
/// connections of their own (`DedicatedConnection`), so nothing here can starve them.
public final class DatabasePool: QueryRunner, Sendable {
    public let client: PostgresClient
    let gate: PermitGate
    let acquireTimeout: Duration
    /// The statement timeout, with a margin: the server cancels a statement itself at its timeout.
    let queryTimeout: Duration
    let logger: Logger

    public init(client: PostgresClient, size: Int, acquireTimeout: Duration, statementTimeout: Duration, logger: Logger) {
        self.client = client
        gate = PermitGate(permits: size)
        self.acquireTimeout = acquireTimeout
        queryTimeout = statementTimeout + .seconds(2)
        self.logger = logger
    }

    /// Connections in use by this node's requests right now.
    public var inUse: Int { gate.inUse }
    /// The pool's connections (`database.pool.size`).
    public var size: Int { gate.capacity }

    func acquire() async throws {
        let size = gate.capacity, wait = acquireTimeout
        try await gate.acquire(timeout: acquireTimeout, timedOut: DatabaseError(.busy,
            "all \(size) database connections of this node stayed busy for \(wait)"))
    }

    func withPermit<T>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { gate.release() }
        return try await body()
    }

    public func run(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        let client = self.client, limit = queryTimeout
        return try await withPermit {
            try await withDeadline(limit, "a database query") { try await client.query(query, logger: logger).collect() }
        }
    }

    /// A transaction on one pooled connection. The body's own queries are bounded by the server's
    /// statement and idle-in-transaction timeouts.
    public func withTransaction<T>(_ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        try await acquire()
        defer { gate.release() }
        return try await client.withTransaction(logger: logger, body)
    }
}
