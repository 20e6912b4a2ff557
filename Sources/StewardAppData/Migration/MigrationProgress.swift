import Foundation

/// What a running migration reports, for a progress display.
public enum MigrationEvent: Sendable {
    /// The work ahead: all files and bytes, and how many of them an earlier run already verified.
    case started(files: Int, bytes: Int64, verifiedFiles: Int, verifiedBytes: Int64)
    case phase(String)
    case copying(String)
    case bytes(Int64)
    case fileDone(String, bytes: Int64, skipped: Bool)
    case deleted(String)
}

public typealias MigrationObserver = @Sendable (MigrationEvent) -> Void

/// Files, bytes, rate and time left, from events and the times they arrived. Pure: the caller
/// passes the time, so tests drive it without a clock.
public struct ProgressMeter: Sendable {
    public private(set) var totalFiles = 0
    public private(set) var totalBytes: Int64 = 0
    public private(set) var doneFiles = 0
    public private(set) var doneBytes: Int64 = 0
    /// Bytes actually copied in this run (skipped files excluded), for the rate.
    public private(set) var copiedBytes: Int64 = 0
    private var startedAt: Double?
    private var lastAt: Double = 0

    public init() {}

    /// `now` is in seconds on any monotonic clock.
    public mutating func record(_ event: MigrationEvent, now: Double) {
        if startedAt == nil { startedAt = now }
        lastAt = now
        switch event {
        case .started(let files, let bytes, let verifiedFiles, let verifiedBytes):
            (totalFiles, totalBytes) = (files, bytes)
            (doneFiles, doneBytes) = (verifiedFiles, verifiedBytes)
            startedAt = now
        case .bytes(let count):
            doneBytes += count
            copiedBytes += count
        case .fileDone(_, let bytes, let skipped):
            doneFiles += 1
            if skipped { doneBytes += bytes }
        case .phase, .copying, .deleted:
            break
        }
    }

    /// Bytes per second copied by this run; nil until there is something to measure.
    public var rate: Double? {
        guard let startedAt, lastAt - startedAt >= 0.2, copiedBytes > 0 else { return nil }
        return Double(copiedBytes) / (lastAt - startedAt)
    }

    /// Seconds left at the current rate.
    public var secondsLeft: Double? {
        guard let rate, rate > 0 else { return nil }
        return Double(max(0, totalBytes - doneBytes)) / rate
    }

    public var elapsed: Double { startedAt.map { lastAt - $0 } ?? 0 }

    /// `12/40 files, 310.2 MB of 312.0 MB, 85.1 MB/s, 1s left`
    public var line: String {
        var text = "\(doneFiles)/\(totalFiles) files, \(ByteCount.format(doneBytes)) of \(ByteCount.format(totalBytes))"
        if let rate { text += ", \(ByteCount.format(Int64(rate)))/s" }
        if let secondsLeft { text += ", \(Self.duration(secondsLeft)) left" }
        return text
    }

    public static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h\(String(format: "%02d", whole / 60 % 60))m"
    }
}
