import Foundation
import Logging

/// A swift-log handler whose level is looked up in the live `LogSettings` on every call,
/// so that a change to log4j.properties applies to loggers that already exist.
public struct StewardLogHandler: LogHandler {
    public let label: String
    let sink: LogSink
    public var metadata: Logger.Metadata = [:]
    /// Set by code that asks for a fixed level; otherwise the file decides.
    var overrideLevel: Logger.Level?

    public init(label: String, sink: LogSink) {
        self.label = label
        self.sink = sink
    }

    public var logLevel: Logger.Level {
        get { overrideLevel ?? sink.level(for: label) }
        set { overrideLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = "\(Self.timestamp()) \(Self.name(event.level)) [\(label)] \(event.message)"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        sink.write(line)
    }

    static func name(_ level: Logger.Level) -> String {
        switch level {
        case .trace: return "TRACE"
        case .debug: return "DEBUG"
        case .info: return "INFO "
        case .notice: return "NOTE "
        case .warning: return "WARN "
        case .error: return "ERROR"
        case .critical: return "FATAL"
        }
    }

    /// UTC ISO 8601 with milliseconds, without a DateFormatter on the hot path.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1_000_000)
    }
}
