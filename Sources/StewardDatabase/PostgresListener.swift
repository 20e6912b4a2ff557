import Logging
import PostgresNIO
import ServiceLifecycle

/// LISTEN on some channels, on a connection of its own, for as long as the node runs. A lost
/// connection is noticed (a ping every few seconds catches a silent network) and made again with
/// a growing pause; `onState` hears each loss and each return, so that whoever relies on the
/// notifications (a cache, idle workers) can fall back to asking the database while they may be missed.
public struct PostgresListener: Service {
    let connector: DatabaseConnector
    let channels: [String]
    let logger: Logger
    let ping: Duration
    let onNotification: @Sendable (_ channel: String, _ payload: String) -> Void
    let onState: @Sendable (_ listening: Bool) -> Void

    public init(connector: DatabaseConnector, channels: [String], logger: Logger, ping: Duration = .seconds(5),
                onNotification: @escaping @Sendable (_ channel: String, _ payload: String) -> Void,
                onState: @escaping @Sendable (_ listening: Bool) -> Void) {
        self.connector = connector
        self.channels = channels
        self.logger = logger
        self.ping = ping
        self.onNotification = onNotification
        self.onState = onState
    }

    struct Lost: Error {}

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var pause: Duration = .milliseconds(250)
            var quiet = false
            while !Task.isCancelled {
                do {
                    try await listenOnce()
                } catch is CancellationError {
                    break
                } catch {
                    if !quiet { logger.warning("LISTEN \(channels.joined(separator: ", ")) lost: \(DatabaseError.readable(error)); reconnecting") }
                    quiet = true
                }
                onState(false)
                if Task.isCancelled { break }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(10))
            }
            onState(false)
        }
    }

    func listenOnce() async throws {
        let connection = try await connector.connect(logger: logger)
        do {
            try await listen(connection, channels[...], streams: [])
        } catch {
            await connection.closeEvenIfCancelled()
            throw error
        }
        await connection.closeEvenIfCancelled()
    }

    /// LISTENs on each channel in turn (postgres-nio takes one per call), then consumes them all.
    func listen(_ connection: PostgresConnection, _ remaining: ArraySlice<String>,
                streams: [(String, PostgresNotificationSequence)]) async throws {
        if let channel = remaining.first {
            return try await connection.listen(on: channel) { notifications in
                try await listen(connection, remaining.dropFirst(), streams: streams + [(channel, notifications)])
            }
        }
        onState(true)
        logger.debug("listening on \(channels.joined(separator: ", "))")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (channel, notifications) in streams {
                group.addTask {
                    for try await notification in notifications { onNotification(channel, notification.payload) }
                    throw Lost()
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: ping)
                    try await withDeadline(ping, "LISTEN ping") { try await connection.query("SELECT 1", logger: logger).collect() }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
