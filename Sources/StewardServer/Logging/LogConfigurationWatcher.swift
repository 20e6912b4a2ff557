import Foundation
import Logging
import ServiceLifecycle
import StewardAppData
import StewardConfiguration

/// Re-reads `conf/server/log4j.properties` when it changes, so levels change without a restart.
/// It polls: inotify does not see changes made by other hosts on a network filesystem. Each look at
/// the file runs on the blocking pool: a hung share stalls this watcher, nothing else.
public struct LogConfigurationWatcher: Service {
    let path: String
    let sink: LogSink
    let interval: Duration
    let logger: Logger

    public init(path: String, sink: LogSink, interval: Duration = .seconds(1), logger: Logger) {
        self.path = path
        self.sink = sink
        self.interval = interval
        self.logger = logger
    }

    /// Reads the settings once; a missing file means the defaults, a broken one is an error.
    public static func load(path: String) throws(ConfigurationError) -> LogSettings? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try LogSettings(file: PropertiesFile.load(path: path))
    }

    struct Stamp: Equatable {
        var modified: Date?
        var size: Int?
        var inode: Int?
    }

    func stamp() -> Stamp {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return Stamp() }
        return Stamp(modified: attributes[.modificationDate] as? Date,
                     size: (attributes[.size] as? NSNumber)?.intValue,
                     inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var last = try? await BlockingIO.run { stamp() }
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let current = try? await BlockingIO.run({ stamp() }), current != last else { continue }
                last = current
                guard let loaded = try? await BlockingIO.run({ Result { try Self.load(path: path) } }) else { continue }
                apply(loaded)
            }
        }
    }

    func apply(_ loaded: Result<LogSettings?, any Error>) {
        do {
            let settings = try loaded.get() ?? LogSettings()
            guard settings != sink.settings else { return }
            sink.apply(settings)
            logger.notice("log levels reloaded", metadata: ["file": "\(path)", "root": "\(settings.rootLevel)"])
        } catch {
            logger.error("log configuration not applied; keeping the previous levels: \(error)")
        }
    }
}
