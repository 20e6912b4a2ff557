import Foundation
import Logging
import StewardConfiguration

/// What `conf/server/log4j.properties` says: the root level, levels per logger name
/// (most specific prefix wins: `steward.database` covers `steward.database.pool`), and
/// the rolling file's size and number of backups, in log4j 1.x's own keys.
public struct LogSettings: Sendable, Equatable {
    public var rootLevel: Logger.Level = .info
    public var loggerLevels: [String: Logger.Level] = [:]
    public var maxFileSize: Int = 10 * 1024 * 1024
    public var maxBackups: Int = 5

    public init() {}

    public func level(for label: String) -> Logger.Level {
        var bestLength = -1
        var bestLevel = rootLevel
        for (name, level) in loggerLevels where name.count > bestLength && (label == name || label.hasPrefix(name + ".")) {
            bestLength = name.count
            bestLevel = level
        }
        return bestLevel
    }

    public init(file: PropertiesFile) throws(ConfigurationError) {
        for entry in file.entries {
            if entry.key == "log4j.rootLogger" || entry.key == "log4j.rootCategory" {
                rootLevel = try Self.level(entry, in: file)
            } else if entry.key.hasPrefix("log4j.logger.") {
                loggerLevels[String(entry.key.dropFirst("log4j.logger.".count))] = try Self.level(entry, in: file)
            } else if entry.key.hasSuffix(".MaxFileSize") {
                guard let size = Self.byteSize(entry.value) else {
                    throw ConfigurationError(file: file.path, line: entry.firstLine, key: entry.key,
                                             message: "'\(entry.value)' is not a size such as 10MB or 512KB")
                }
                maxFileSize = size
            } else if entry.key.hasSuffix(".MaxBackupIndex") {
                guard let count = Int(entry.value.trimmingCharacters(in: .whitespaces)), (0...100).contains(count) else {
                    throw ConfigurationError(file: file.path, line: entry.firstLine, key: entry.key,
                                             message: "'\(entry.value)' is not a number of backups from 0 to 100")
                }
                maxBackups = count
            }
        }
    }

    static func level(_ entry: PropertiesParser.Entry, in file: PropertiesFile) throws(ConfigurationError) -> Logger.Level {
        // log4j writes "LEVEL, appender, appender"; only the level matters here.
        let name = entry.value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).uppercased() } ?? ""
        switch name {
        case "ALL", "TRACE": return .trace
        case "DEBUG": return .debug
        case "INFO": return .info
        case "NOTICE": return .notice
        case "WARN", "WARNING": return .warning
        case "ERROR": return .error
        case "FATAL", "OFF", "CRITICAL": return .critical
        default:
            throw ConfigurationError(file: file.path, line: entry.firstLine, key: entry.key,
                                     message: "'\(name)' is not a level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)")
        }
    }

    static func byteSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        for (suffix, factor) in [("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)] where trimmed.hasSuffix(suffix) {
            guard let value = Int(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), value > 0 else { return nil }
            return max(value * factor, 4096)
        }
        return Int(trimmed).map { max($0, 4096) }
    }
}
