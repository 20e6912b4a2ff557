import Foundation
import Logging
import Synchronization

/// The agent's log: one line per event, appended to its log file (and to standard error when
/// run in a terminal or by a supervisor that collects it).
public struct AgentLogHandler: LogHandler {
    final class Output: Sendable {
        let descriptor: Int32
        let alsoStandardError: Bool
        let lock = Mutex(())
        init(path: String, alsoStandardError: Bool) throws {
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw AgentError("cannot open the log file \(path): \(String(cString: strerror(errno)))") }
            self.alsoStandardError = alsoStandardError
        }
        func write(_ line: String) {
            let bytes = Array(line.utf8)
            lock.withLock { _ in
                _ = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
                if alsoStandardError { _ = bytes.withUnsafeBytes { Foundation.write(2, $0.baseAddress, $0.count) } }
            }
        }
    }

    let output: Output
    let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public static func bootstrap(path: String, alsoStandardError: Bool, level: Logger.Level) throws {
        let output = try Output(path: path, alsoStandardError: alsoStandardError)
        LoggingSystem.bootstrap { label in
            var handler = AgentLogHandler(output: output, label: label)
            handler.logLevel = level
            return handler
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let extra = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        output.write("\(stamp) \(event.level.rawValue.uppercased()) \(event.message)\(extra)\n")
    }
}
