import Dispatch
import Foundation
import Logging
import StewardAppData
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where every log line goes: stderr, and once the node knows its folder, the rolling file
/// `appdata/logs/<node>/server.log`. Callers only queue the line: one writer thread of its own
/// does the writing, so a stalled network share delays the log, never an event loop or a request.
/// The queue is bounded; lines that find it full are dropped, counted, and the count is written
/// as soon as the writer catches up. Registered secrets are replaced by `***` before anything is
/// written, wherever the text came from (a library's error message included).
///
/// Written by hand because swift-log ships no file handler (see STACK.md).
public final class LogSink: Sendable {
    enum Item {
        case line(String)
        /// Start writing to this (already opened) file as well.
        case file(descriptor: Int32, path: String, size: Int)
        /// Everything queued before it has been written.
        case flushed(DispatchSemaphore)
    }

    struct Shared {
        var settings = LogSettings()
        /// Each logger's level, worked out once per settings: asked on every log call, every request.
        var levels: [String: Logger.Level] = [:]
        var secrets: [String] = []
        var writesToStandardError = true
        var pending: [Item] = []
        var dropped = 0
    }

    /// The writer thread's own: no one else touches the file.
    struct Output {
        var descriptor: Int32 = -1
        var path: String?
        var size = 0
    }

    /// Lines waiting at most; past it they are dropped (and counted).
    let capacity: Int
    private let shared = Mutex(Shared())
    private let wakeUp = DispatchSemaphore(value: 0)

    public init(capacity: Int = 10_000) {
        self.capacity = capacity
        let thread = Thread { [self] in writeLoop() }
        thread.name = "steward-log-writer"
        thread.start()
    }

    public var settings: LogSettings { shared.withLock { $0.settings } }

    public func apply(_ settings: LogSettings) {
        shared.withLock { shared in
            shared.settings = settings
            shared.levels.removeAll()
        }
    }

    /// The level in force for `label` (the most specific logger prefix, else the root's).
    public func level(for label: String) -> Logger.Level {
        shared.withLock { shared in
            if let known = shared.levels[label] { return known }
            let level = shared.settings.level(for: label)
            shared.levels[label] = level
            return level
        }
    }

    public func setStandardError(_ enabled: Bool) { shared.withLock { $0.writesToStandardError = enabled } }

    /// Secrets shorter than 4 characters are not redacted: they would garble ordinary text.
    public func redact(_ secret: String) {
        guard secret.count >= 4 else { return }
        shared.withLock { $0.secrets.append(secret) }
    }

    /// Starts writing to `path` as well; appends when it exists. Fails here, at once, if it cannot be opened.
    public func openFile(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var info = stat()
        fstat(descriptor, &info)
        enqueue(.file(descriptor: descriptor, path: path, size: Int(info.st_size)), force: true)
    }

    /// Queues a line; never blocks on I/O.
    public func write(_ line: String) { enqueue(.line(line), force: false) }

    /// Waits (at most `timeout`) until everything queued so far is written: before the process exits.
    public func flush(timeout: Duration = .seconds(2)) {
        let done = DispatchSemaphore(value: 0)
        enqueue(.flushed(done), force: true)
        _ = done.wait(timeout: .now() + .milliseconds(Int(timeout.inMilliseconds)))
    }

    /// Lines dropped so far and not yet reported.
    var droppedCount: Int { shared.withLock { $0.dropped } }

    func enqueue(_ item: Item, force: Bool) {
        let queued = shared.withLock { shared -> Bool in
            guard force || shared.pending.count < capacity else {
                shared.dropped += 1
                return false
            }
            shared.pending.append(item)
            return true
        }
        if queued { wakeUp.signal() }
    }

    func writeLoop() {
        var output = Output()
        while true {
            wakeUp.wait()
            let (items, dropped, secrets, toStandardError, settings) = shared.withLock { shared in
                defer { shared.pending.removeAll(keepingCapacity: true); shared.dropped = 0 }
                return (shared.pending, shared.dropped, shared.secrets, shared.writesToStandardError, shared.settings)
            }
            for item in items {
                switch item {
                case .line(let line):
                    Self.emit(Self.redacted(line, secrets), toStandardError: toStandardError, output: &output, settings: settings)
                case .file(let descriptor, let path, let size):
                    if output.descriptor >= 0 { close(output.descriptor) }
                    output = Output(descriptor: descriptor, path: path, size: size)
                case .flushed(let done):
                    done.signal()
                }
            }
            if dropped > 0 {
                let line = "\(StewardLogHandler.timestamp()) WARN  [steward.log] \(dropped) log lines were dropped: the log writer could not keep up (is the log folder's storage slow or full?)"
                Self.emit(line, toStandardError: toStandardError, output: &output, settings: settings)
            }
        }
    }

    static func redacted(_ line: String, _ secrets: [String]) -> String {
        var text = line
        for secret in secrets where text.contains(secret) { text = text.replacingOccurrences(of: secret, with: "***") }
        return text
    }

    static func emit(_ text: String, toStandardError: Bool, output: inout Output, settings: LogSettings) {
        let bytes = Array(text.utf8) + [0x0A]
        if toStandardError { writeAll(STDERR_FILENO, bytes) }
        guard output.descriptor >= 0 else { return }
        if output.size + bytes.count > settings.maxFileSize, output.size > 0 { rotate(&output, settings: settings) }
        writeAll(output.descriptor, bytes)
        output.size += bytes.count
    }

    /// server.log → server.log.1 → … → server.log.N; the oldest is dropped.
    static func rotate(_ output: inout Output, settings: LogSettings) {
        guard let path = output.path else { return }
        close(output.descriptor)
        let backups = settings.maxBackups
        if backups == 0 {
            unlink(path)
        } else {
            unlink("\(path).\(backups)")
            for index in stride(from: backups - 1, through: 1, by: -1) { rename("\(path).\(index)", "\(path).\(index + 1)") }
            rename(path, "\(path).1")
        }
        output.descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        output.size = 0
    }

    /// A failed write (a full disk) must not stop the node: the line is lost, the node goes on.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { FileWriting.writeAll(descriptor, $0) }
    }
}
