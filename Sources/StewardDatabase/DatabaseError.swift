/// Why the node cannot use the database, said so that an operator knows what to change.
public struct DatabaseError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case unreachable, authentication, notSteward, schemaTooNew, softwareTooOld
        case migrationChanged, timeout, clusterMissing, query
        /// Every pooled connection stayed busy for the whole wait: the caller should answer 503.
        case busy
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
