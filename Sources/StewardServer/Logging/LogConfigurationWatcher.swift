import Foundation
import Logging
import ServiceLifecycle
import StewardConfiguration

/// Re-reads `conf/server/log4j.properties` when it changes, so levels change without a restart.
/// It polls: inotify does not see changes made by other hosts on a network filesystem.
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
            var last = stamp()
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                let current = stamp()
                guard current != last else { continue }
                last = current
                reload()
            }
        }
    }

    func reload() {
        do {
            let settings = try Self.load(path: path) ?? LogSettings()
            guard settings != sink.settings else { return }
            sink.apply(settings)
            logger.notice("log levels reloaded", metadata: ["file": "\(path)", "root": "\(settings.rootLevel)"])
        } catch {
            logger.error("log configuration not applied; keeping the previous levels: \(error)")
        }
    }
}
