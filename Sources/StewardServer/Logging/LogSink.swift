import Foundation
import Logging
import StewardAppData
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where every log line goes: stderr, and once the node knows its folder, the rolling file
/// `appdata/logs/<node>/server.log`. Registered secrets are replaced by `***` before anything
/// is written, wherever the text came from (a library's error message included).
///
/// Written by hand because swift-log ships no file handler (see STACK.md).
public final class LogSink: Sendable {
    struct State {
        var settings = LogSettings()
        var filePath: String?
        var descriptor: Int32 = -1
        var size = 0
        var secrets: [String] = []
        var writesToStandardError = true
    }

    private let state = Mutex(State())

    public init() {}

    public var settings: LogSettings { state.withLock { $0.settings } }

    public func apply(_ settings: LogSettings) { state.withLock { $0.settings = settings } }

    public func setStandardError(_ enabled: Bool) { state.withLock { $0.writesToStandardError = enabled } }

    /// Secrets shorter than 4 characters are not redacted: they would garble ordinary text.
    public func redact(_ secret: String) {
        guard secret.count >= 4 else { return }
        state.withLock { $0.secrets.append(secret) }
    }

    /// Starts writing to `path` as well; appends when it exists.
    public func openFile(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var info = stat()
        fstat(descriptor, &info)
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
            state.descriptor = descriptor
            state.filePath = path
            state.size = Int(info.st_size)
        }
    }

    public func write(_ line: String) {
        state.withLock { state in
            var text = line
            for secret in state.secrets where text.contains(secret) {
                text = text.replacingOccurrences(of: secret, with: "***")
            }
            let bytes = Array(text.utf8) + [0x0A]
            if state.writesToStandardError { Self.writeAll(STDERR_FILENO, bytes) }
            guard state.descriptor >= 0 else { return }
            if state.size + bytes.count > state.settings.maxFileSize, state.size > 0 { Self.rotate(&state) }
            Self.writeAll(state.descriptor, bytes)
            state.size += bytes.count
        }
    }

    /// server.log → server.log.1 → … → server.log.N; the oldest is dropped.
    static func rotate(_ state: inout State) {
        guard let path = state.filePath else { return }
        close(state.descriptor)
        let backups = state.settings.maxBackups
        if backups == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(backups)")
            for index in stride(from: backups - 1, through: 1, by: -1) { rename("\(path).\(index)", "\(path).\(index + 1)") }
            rename(path, "\(path).1")
        }
        state.descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        state.size = 0
    }

    /// A failed write (a full disk) must not stop the node: the line is lost, the node goes on.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { FileWriting.writeAll(descriptor, $0) }
    }
}
