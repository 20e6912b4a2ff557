import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

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
            // Whether a loss was reported (so the return is worth a line), and whether the last
            // connection got as far as listening (so the next pause starts short again).
            let progress = Mutex((reportedLoss: false, listened: false))
            let names = channels.joined(separator: ", ")
            while !Task.isCancelled {
                do {
                    try await listenOnce {
                        let wasLost = progress.withLock { state in
                            defer { state = (false, true) }
                            return state.reportedLoss
                        }
                        if wasLost { logger.notice("LISTEN \(names) works again") }
                    }
                } catch is CancellationError {
                    break
                } catch {
                    let (alreadyReported, listened) = progress.withLock { state in
                        defer { state = (true, false) }
                        return state
                    }
                    if !alreadyReported { logger.warning("LISTEN \(names) lost: \(DatabaseError.readable(error)); reconnecting") }
                    if listened { pause = .milliseconds(250) }
                }
                onState(false)
                if Task.isCancelled { break }
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(10))
            }
            onState(false)
        }
    }

    /// One connection's LISTEN until it is lost; `listening` runs once all channels are listened on.
    func listenOnce(listening: @escaping @Sendable () -> Void) async throws {
        let connection = try await connector.connect(logger: logger)
        do {
            try await listen(connection, channels[...], streams: [], listening: listening)
        } catch {
            await connection.closeEvenIfCancelled()
            throw error
        }
        await connection.closeEvenIfCancelled()
    }

    /// LISTENs on each channel in turn (postgres-nio takes one per call), then consumes them all.
    func listen(_ connection: PostgresConnection, _ remaining: ArraySlice<String>,
                streams: [(String, PostgresNotificationSequence)], listening: @escaping @Sendable () -> Void) async throws {
        if let channel = remaining.first {
            return try await connection.listen(on: channel) { notifications in
                try await listen(connection, remaining.dropFirst(), streams: streams + [(channel, notifications)], listening: listening)
            }
        }
        listening()
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
