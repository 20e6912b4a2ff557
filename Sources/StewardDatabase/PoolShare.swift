import Logging
import PostgresNIO
import StewardModel

/// A bounded share of the node's pool for one kind of work (the agent channel): it holds at most
/// `capacity` of the pool's connections at once. A reconnect storm's thousands of admissions then
/// queue here, and API requests and jobs wait behind at most `capacity` of them in the pool's own
/// (first come, first served) queue instead of behind all of them.
public final class PoolShare: QueryRunner, Sendable {
    public let pool: DatabasePool
    let gate: PermitGate
    let acquireTimeout: Duration
    let purpose: String

    /// `acquireTimeout` bounds the wait for the share; the pool's own wait comes after it.
    public init(of pool: DatabasePool, permits: Int, acquireTimeout: Duration, purpose: String) {
        self.pool = pool
        gate = PermitGate(permits: max(1, min(permits, pool.size)))
        self.acquireTimeout = acquireTimeout
        self.purpose = purpose
    }

    public var capacity: Int { gate.capacity }
    /// The share's connections in use right now.
    public var inUse: Int { gate.inUse }

    @discardableResult
    public func run(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        let capacity = gate.capacity, wait = acquireTimeout, purpose = self.purpose
        try await gate.acquire(timeout: wait, timedOut: DatabaseError(.busy,
            "all \(capacity) database connections for \(purpose) stayed busy for \(wait)"))
        defer { gate.release() }
        return try await pool.run(query, logger: logger)
    }
}
