import Foundation
import Logging
import PostgresNIO
import StewardDatabase
import StewardModel

/// This node's term as leader, as far as it knows: valid locally until `validUntil` (measured from
/// before the renewal was sent, so never later than the database's expiry). The database's row is
/// what counts: every leader write locks it and checks the term.
public struct Leadership: Sendable, Equatable {
    public let term: Int64
    public let validUntil: ContinuousClock.Instant
}

/// Who holds the lease, as the database answered a claim.
struct LeaseHolder: Sendable, Equatable {
    let holder: NodeID
    let incarnation: Incarnation
    let term: Int64
    let expiresIn: Duration
}

/// The leader lease's SQL.
struct LeaderLease: Sendable {
    let nodeID: NodeID
    let incarnation: Incarnation
    let logger: Logger

    /// Renews this node's lease, or takes an expired one with a new term. Returns the holder after.
    func claim(lease: Duration, on runner: some QueryRunner) async throws -> LeaseHolder? {
        guard let row = try await runner.run("""
            SELECT lease_holder, lease_incarnation, lease_term, lease_expires_in
            FROM steward_claim_leadership(\(nodeID.uuid), \(incarnation.value), \(lease.inSeconds))
            """, logger: logger).first else { return nil }
        let (holder, holderIncarnation, term, expiresIn) = try row.decode((UUID, Int64, Int64, Double).self)
        return LeaseHolder(holder: NodeID(holder), incarnation: Incarnation(holderIncarnation), term: term,
                           expiresIn: .milliseconds(Int64(expiresIn * 1000)))
    }

    /// Gives the lease up (draining, shutting down) so that another node takes over at once.
    func release(term: Int64, on runner: some QueryRunner) async throws {
        try await runner.run("""
            UPDATE leader_lease SET expires_at = now()
            WHERE holder = \(nodeID.uuid) AND incarnation = \(incarnation.value) AND term = \(term) AND expires_at > now()
            """, logger: logger)
    }

    /// Inside a leader transaction: locks the lease row for share (a takeover waits for this
    /// transaction) and confirms the term still holds. Throws `LeadershipLost` when it does not.
    func confirm(term: Int64, on connection: PostgresConnection) async throws {
        let rows = try await connection.run("""
            SELECT 1 FROM leader_lease
            WHERE term = \(term) AND holder = \(nodeID.uuid) AND incarnation = \(incarnation.value) AND expires_at > now()
            FOR SHARE
            """, logger: logger)
        if rows.isEmpty { throw LeadershipLost(term: term) }
    }
}

/// A leader write found its term over: it wrote nothing.
public struct LeadershipLost: Error, CustomStringConvertible {
    public let term: Int64
    public var description: String { "leadership term \(term) is over; nothing was written" }
}
