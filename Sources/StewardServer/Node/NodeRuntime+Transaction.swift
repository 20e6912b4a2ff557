import Hummingbird
import PostgresNIO
import StewardConfiguration
import StewardDatabase
import StewardLicense

extension NodeRuntime {
    /// A transaction on the pool. An HTTP error thrown inside comes out as itself (not wrapped in
    /// postgres-nio's transaction error), so that a refusal keeps its status; database errors come
    /// out readable.
    func transaction<T>(_ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        do {
            return try await database.withTransaction(body)
        } catch let error as PostgresTransactionError {
            // A seat is taken at COMMIT (a deferred trigger): a refusal is the commit's error.
            if let inner = error.commitError ?? error.closureError, let refusal = SeatRefusal(inner) { throw APIError.conflict(refusal.message) }
            if let inner = error.closureError, inner is any HTTPResponseError || inner is NodeRepository.OperationRefusal || inner is ClusterSettingError { throw inner }
            throw DatabaseError.readable(error)
        }
    }
}
