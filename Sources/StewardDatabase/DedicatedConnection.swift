import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// One connection kept for one purpose (the heartbeat, LISTEN, the leader), outside the pool, so that
/// no load on the pool can delay it. It connects on first use and again after any failure; an
/// operation that misses its deadline gets the connection closed under it, since a query still
/// running on it would otherwise hold up the next one.
public actor DedicatedConnection {
    let connector: DatabaseConnector
    let purpose: String
    let logger: Logger
    /// Statements run on each new connection before its first use (session settings).
    let sessionSettings: [String]
    private var connection: PostgresConnection?
    /// The connect under way: callers that arrive meanwhile share it, since two connects racing
    /// across the actor's suspension would leave one connection unclosed (postgres-nio traps on that).
    private var connecting: Task<PostgresConnection, any Error>?
    private var isClosedForGood = false

    /// The event loop the connection lives on: its own thread for the heartbeat, else a shared one.
    let eventLoop: (any EventLoop)?

    public init(connector: DatabaseConnector, purpose: String, logger: Logger, sessionSettings: [String] = [],
                eventLoop: (any EventLoop)? = nil) {
        self.connector = connector
        self.purpose = purpose
        self.logger = logger
        self.sessionSettings = sessionSettings
        self.eventLoop = eventLoop
    }

    /// A thread of its own for the connection that keeps the node's lease: in a reconnect storm the
    /// shared event loops spend seconds on TLS handshakes, and a heartbeat answer read behind them
    /// arrives after the lease ran out.
    public static let ownThread: any EventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()

    /// Runs `body` on the connection within `limit` (connecting included).
    public func run<T: Sendable>(_ limit: Duration, _ what: String,
                                 _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await withDeadline(limit, what) {
                let connection = try await self.open()
                return try await body(connection)
            }
        } catch {
            if !Self.leavesConnectionUsable(error) { discard() }
            throw error
        }
    }

    /// A refusal the server reported, or one of ours, leaves the connection as it was; a timeout, a lost
    /// connection or anything unknown does not.
    static func leavesConnectionUsable(_ error: any Error) -> Bool {
        if let psql = error as? PSQLError { return psql.serverInfo != nil }
        if let database = error as? DatabaseError { return database.code != .timeout && database.code != .unreachable }
        return error is IncarnationFenced
    }

    func open() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if isClosedForGood { throw DatabaseError(.unreachable, "the \(purpose) connection is closed (the node is stopping)") }
        if let connecting { return try await connecting.value }
        let task = Task { [connector, logger, sessionSettings, eventLoop] in
            let fresh = try await connector.connect(on: eventLoop, logger: logger)
            do {
                for statement in sessionSettings { try await fresh.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            } catch {
                await fresh.closeEvenIfCancelled()
                throw error
            }
            return fresh
        }
        connecting = task
        let result = await task.result
        connecting = nil
        let fresh = try result.get()
        if isClosedForGood {
            await fresh.closeEvenIfCancelled()
            throw DatabaseError(.unreachable, "the \(purpose) connection is closed (the node is stopping)")
        }
        if let old = connection, old !== fresh { Task { try? await old.close() } }
        connection = fresh
        return fresh
    }

    /// Closes the connection for good (at shutdown: a connection must be closed before it is released).
    public func close() async {
        isClosedForGood = true
        guard let old = connection else { return }
        connection = nil
        await old.closeEvenIfCancelled()
    }

    /// Drops the connection; the next `run` makes a new one. Closing waits for nobody.
    public func discard() {
        guard let old = connection else { return }
        connection = nil
        Task { try? await old.close() }
    }
}

extension PostgresConnection {
    /// Closes the connection even from a task that is being cancelled (a shutdown): a cancelled
    /// `close()` would leave it open, and postgres-nio traps on releasing an open connection.
    /// Closing is local (the socket goes at once), so waiting for it is safe.
    public func closeEvenIfCancelled() async {
        let connection = self
        await Task { try? await connection.close() }.value
    }
}
