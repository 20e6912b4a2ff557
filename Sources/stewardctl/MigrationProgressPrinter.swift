import StewardModel
import Foundation
import StewardAppData
import Synchronization

/// Shows a migration's progress on stderr (stdout stays for the plan, the summary and --json):
/// one line redrawn in place on a terminal, plain lines every few seconds otherwise (logs, pipes).
final class ProgressPrinter: Sendable {
    struct State {
        var meter = ProgressMeter()
        var lastDrawn: Double = -.infinity
        var drewInPlace = false
        var deleted = 0
    }

    private let state = Mutex(State())
    private let start = ContinuousClock.now
    let isTerminal = isatty(STDERR_FILENO) == 1
    /// Seconds between two plain lines.
    let plainInterval: Double = 2

    func observe(_ event: MigrationEvent) {
        let now = seconds()
        let text: String? = state.withLock { state in
            state.meter.record(event, now: now)
            switch event {
            case .phase(let phase):
                if isTerminal, state.drewInPlace {
                    state.drewInPlace = false
                    return "\r\u{1B}[K\(state.meter.line)\n\(phase)…\n"
                }
                return isTerminal ? "\(phase)…\n" : "\(phase)\n"
            case .bytes, .fileDone, .deleted:
                if case .deleted = event { state.deleted += 1 }
                let interval = isTerminal ? 0.1 : plainInterval
                guard now - state.lastDrawn >= interval else { return nil }
                state.lastDrawn = now
                let line = state.deleted > 0 ? "deleted \(state.deleted) files so far" : state.meter.line
                if isTerminal {
                    state.drewInPlace = true
                    return "\r\u{1B}[K\(line)"
                }
                return "progress: \(line)\n"
            case .started, .copying:
                return nil
            }
        }
        if let text { FileHandle.standardError.write(Data(text.utf8)) }
    }

    /// Ends the in-place line, so what follows starts on a fresh one.
    func finish() {
        let text: String? = state.withLock { state in
            guard state.meter.totalFiles > 0 || state.deleted > 0 else { return nil }
            let line = state.deleted > 0 ? "deleted \(state.deleted) files" : state.meter.line
            defer { state.drewInPlace = false }
            return isTerminal ? "\r\u{1B}[K\(line)\n" : "progress: \(line)\n"
        }
        if let text { FileHandle.standardError.write(Data(text.utf8)) }
    }

    func seconds() -> Double {
        let elapsed = ContinuousClock.now - start
        return elapsed.inSeconds
    }
}
