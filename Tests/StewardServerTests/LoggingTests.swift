import Foundation
import Logging
import StewardConfiguration
@testable import StewardServer
import StewardTesting
import Testing

@Suite("Logging: levels from log4j.properties, rotation, redaction")
struct LoggingTests {
    @Test("the most specific logger prefix wins; others fall back to the root level")
    func levels() throws {
        let file = try PropertiesFile(path: "log4j.properties", text: """
            log4j.rootLogger=WARN, file
            log4j.logger.steward.database=DEBUG
            log4j.logger.steward.database.pool=ERROR
            log4j.appender.file.MaxFileSize=1MB
            log4j.appender.file.MaxBackupIndex=3
            """)
        let settings = try LogSettings(file: file)
        #expect(settings.level(for: "steward.http") == .warning)
        #expect(settings.level(for: "steward.database") == .debug)
        #expect(settings.level(for: "steward.database.migrations") == .debug)
        #expect(settings.level(for: "steward.database.pool") == .error)
        #expect(settings.level(for: "steward.databases") == .warning, "a prefix matches whole name parts only")
        #expect(settings.maxFileSize == 1 << 20)
        #expect(settings.maxBackups == 3)
    }

    @Test("an unknown level is an error naming the line and key")
    func badLevel() throws {
        let file = try PropertiesFile(path: "log4j.properties", text: "log4j.rootLogger=INFO\nlog4j.logger.x=CHATTY\n")
        #expect {
            try LogSettings(file: file)
        } throws: { "\($0)" == "log4j.properties:2: log4j.logger.x: 'CHATTY' is not a level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)" }
    }

    @Test("the file rotates at its size limit and keeps the configured number of backups")
    func rotation() throws {
        let folder = try TemporaryDirectory(prefix: "steward-log")
        defer { folder.remove() }
        let sink = LogSink()
        sink.setStandardError(false)
        var settings = LogSettings()
        settings.maxFileSize = 4096
        settings.maxBackups = 2
        sink.apply(settings)
        try sink.openFile(folder.file("server.log"))
        for index in 0..<300 { sink.write("line \(index) " + String(repeating: "x", count: 60)) }
        sink.flush()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files == ["server.log", "server.log.1", "server.log.2"])
        for file in files {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: folder.file(file))[.size] as? Int)
            #expect(size <= 4096)
        }
        let newest = try String(contentsOfFile: folder.file("server.log"), encoding: .utf8)
        #expect(newest.contains("line 299 "))
    }

    @Test("registered secrets are replaced before anything is written")
    func redaction() throws {
        let folder = try TemporaryDirectory(prefix: "steward-log")
        defer { folder.remove() }
        let sink = LogSink()
        sink.setStandardError(false)
        sink.redact("hunter2-secret")
        try sink.openFile(folder.file("server.log"))
        var logger = Logger(label: "steward.test") { StewardLogHandler(label: $0, sink: sink) }
        logger.logLevel = .trace
        logger.error("login failed with password hunter2-secret", metadata: ["attempt": "hunter2-secret"])
        sink.flush()
        let text = try String(contentsOfFile: folder.file("server.log"), encoding: .utf8)
        #expect(!text.contains("hunter2-secret"))
        #expect(text.contains("login failed with password *** attempt=***"))
    }

    @Test("a level change in the settings reaches loggers that already exist")
    func liveLevels() throws {
        let folder = try TemporaryDirectory(prefix: "steward-log")
        defer { folder.remove() }
        let sink = LogSink()
        sink.setStandardError(false)
        try sink.openFile(folder.file("server.log"))
        let logger = Logger(label: "steward.http") { StewardLogHandler(label: $0, sink: sink) }
        logger.debug("hidden at info")
        var settings = LogSettings()
        settings.loggerLevels["steward.http"] = .debug
        sink.apply(settings)
        logger.debug("shown at debug")
        sink.flush()
        let text = try String(contentsOfFile: folder.file("server.log"), encoding: .utf8)
        #expect(!text.contains("hidden at info"))
        #expect(text.contains("DEBUG [steward.http] shown at debug"))
    }

    /// The log's storage stalls (a pipe nobody reads stands in for a hung network share): writers
    /// never wait, lines past the queue's capacity are dropped, and the count is logged once the
    /// writer catches up.
    @Test("a stalled log file never blocks a caller; dropped lines are counted and reported")
    func stalledStorage() async throws {
        signal(SIGPIPE, SIG_IGN)  // the sink may still write into the pipe after this test closes it
        let folder = try TemporaryDirectory(prefix: "steward-log")
        defer { folder.remove() }
        let fifo = folder.file("stalled")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let sink = LogSink(capacity: 100)
        sink.setStandardError(false)
        try sink.openFile(fifo)
        let line = String(repeating: "y", count: 1000)
        let started = ContinuousClock.now
        for index in 0..<2000 { sink.write("\(index) \(line)") }  // 2 MB into a 64 KiB pipe
        #expect(ContinuousClock.now - started < .seconds(1), "writing never waited for the stalled file")
        #expect(sink.droppedCount > 0)
        // The storage comes back: read until the report arrives.
        var text = ""
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = ContinuousClock.now + .seconds(20)
        while !text.contains("log lines were dropped"), ContinuousClock.now < deadline {
            let count = read(reader, &buffer, buffer.count)
            if count > 0 {
                text += String(decoding: buffer[0..<count], as: UTF8.self)
                if text.count > 200_000 { text = String(text.suffix(20_000)) }
            } else {
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        #expect(text.contains("log lines were dropped: the log writer could not keep up"))
    }
}
