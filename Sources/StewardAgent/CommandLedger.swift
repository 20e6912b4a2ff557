import Foundation
import StewardAgentProtocol
import StewardAppData

/// The agent's memory of commands, on disk, so that each id runs once whatever happens to the
/// connection, the node or the agent itself: the id is recorded (and synced) before the program
/// starts, and the result is kept until the node says it has stored it.
actor CommandLedger {
    /// A finished command's result and its output, as sent (again) to the node.
    struct Stored: Codable, Sendable {
        var result: CommandResult
        var chunks: [CommandOutputChunk]
    }

    let folder: AgentStateFolder
    private var executed: Set<UUID> = []
    private var order: [UUID] = []
    private(set) var running: Set<UUID> = []
    /// Delivered, waiting for a free slot (`agent.commands.max.concurrent`); not recorded yet: it has not run.
    private var waiting: Set<UUID> = []
    private var freeSlots: Int
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    /// Past this many ids, the oldest acknowledged ones are dropped from the log.
    static let keep = 10_000

    init(folder: AgentStateFolder, slots: Int) throws {
        self.folder = folder
        freeSlots = slots
        let text = (try? String(contentsOfFile: folder.executedLog, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            if let id = UUID(uuidString: String(line)), executed.insert(id).inserted { order.append(id) }
        }
    }

    enum Decision: Sendable {
        /// New: recorded as executed; run it.
        case run
        /// Ran before and finished: send its stored result again.
        case resend(Stored)
        /// Running now: its result comes when it ends.
        case running
        /// Ran before, but the agent stopped before it finished.
        case interrupted
    }

    /// What to do with a delivered command; `.run` reserves it (a second delivery meanwhile is `.running`).
    func admit(_ id: UUID) throws -> Decision {
        if running.contains(id) || waiting.contains(id) { return .running }
        if executed.contains(id) {
            if let stored = try stored(id) { return .resend(stored) }
            return .interrupted
        }
        waiting.insert(id)
        return .run
    }

    /// Waits for a free slot, then records the id (synced) as executed: from here on it never runs again.
    func begin(_ id: UUID) async throws {
        if freeSlots > 0 {
            freeSlots -= 1
        } else {
            await withCheckedContinuation { slotWaiters.append($0) }
        }
        waiting.remove(id)
        do {
            try append(id)
        } catch {
            releaseSlot()
            throw error
        }
        running.insert(id)
    }

    private func releaseSlot() {
        if slotWaiters.isEmpty { freeSlots += 1 } else { slotWaiters.removeFirst().resume() }
    }

    func finished(_ stored: Stored) throws {
        defer {
            if running.remove(stored.result.commandID) != nil { releaseSlot() }
        }
        try folder.write(stored, to: resultFile(stored.result.commandID))
    }

    /// The node has stored the result.
    func acknowledged(_ id: UUID) {
        try? FileManager.default.removeItem(atPath: resultFile(id))
    }

    func stored(_ id: UUID) throws -> Stored? { try folder.read(Stored.self, from: resultFile(id)) }

    func resultFile(_ id: UUID) -> String { folder.resultsFolder + "/" + id.uuidString.lowercased() + ".json" }

    private func append(_ id: UUID) throws {
        if order.count >= Self.keep { try compact() }
        let descriptor = open(folder.executedLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AgentError("cannot write \(folder.executedLog): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let line = Data((id.uuidString.lowercased() + "\n").utf8)
        let failed = line.withUnsafeBytes { FileWriting.writeAll(descriptor, $0) }
        guard failed == nil, fsync(descriptor) == 0 else {
            throw AgentError("cannot record command \(id) in \(folder.executedLog): \(String(cString: strerror(errno))); not running it")
        }
        executed.insert(id)
        order.append(id)
    }

    /// Keeps the newer half, and every id whose result is still held.
    private func compact() throws {
        let held = Set((try? FileManager.default.contentsOfDirectory(atPath: folder.resultsFolder)) ?? []).compactMap {
            UUID(uuidString: String($0.prefix(36)))
        }
        let kept = Array(order.suffix(Self.keep / 2)) + held.filter { !order.suffix(Self.keep / 2).contains($0) }
        try AtomicFile.write(kept.map { $0.uuidString.lowercased() + "\n" }.joined(), to: folder.executedLog, permissions: 0o600)
        order = kept
        executed = Set(kept)
    }
}

public struct AgentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
