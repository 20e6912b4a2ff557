import Foundation
import StewardAgentProtocol
import Synchronization

/// Runs one command's program: its arguments, environment and working directory, within its
/// timeout, streaming its output as numbered chunks with the secrets' values masked.
struct CommandExecutor: Sendable {
    let configuration: AgentConfiguration
    /// Largest chunk: well inside the channel's 64 KiB message limit once JSON-escaped.
    static let chunkBytes = 16 * 1024
    /// After SIGTERM (timeout or cancel), how long the program has before SIGKILL.
    static let killGrace: Duration = .seconds(3)

    /// Why a command is not run, or nil when the agent's settings allow it.
    func refusal(_ command: CommandDelivery) -> String? {
        guard configuration.commandsEnabled else { return "this agent runs no commands (agent.commands.enabled=false)" }
        let program = command.argv.first ?? ""
        if !configuration.allowedPrograms.isEmpty, !configuration.allowedPrograms.contains(program) {
            return "\(program) is not in this agent's agent.commands.allowed"
        }
        return nil
    }

    func run(_ command: CommandDelivery, cancelled: CancelFlag, send: @escaping @Sendable (AgentMessage) -> Void) async -> CommandLedger.Stored {
        let started = Date()
        func ended(_ outcome: CommandResult.Outcome, exit: Int?, message: String?, chunks: [CommandOutputChunk]) -> CommandLedger.Stored {
            .init(result: CommandResult(commandID: command.commandID, outcome: outcome, exitCode: exit, startedAt: started, finishedAt: Date(),
                                        message: message, chunks: chunks.count), chunks: chunks)
        }
        if let refusal = refusal(command) { return ended(.refused, exit: nil, message: refusal, chunks: []) }
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": ProcessInfo.processInfo.environment["HOME"] ?? "/"]
        environment.merge(command.environment) { $1 }
        let secrets = command.secretNames.compactMap { command.environment[$0] }.filter { !$0.isEmpty }
        let collector = OutputCollector(commandID: command.commandID, secrets: secrets, limit: configuration.maxOutputBytes, send: send)
        let process: Subprocess
        do {
            process = try Subprocess(argv: command.argv, environment: environment, workingDirectory: command.workingDirectory) { stream, data in
                collector.add(data, stream: stream)
            }
        } catch {
            return ended(.refused, exit: nil, message: "\(error)", chunks: [])
        }
        send(.started(.init(commandID: command.commandID, startedAt: started)))
        let stopper = Task {
            let deadline = ContinuousClock.now + .seconds(command.timeoutSeconds)
            while ContinuousClock.now < deadline, !cancelled.isSet, !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
            }
            guard !Task.isCancelled else { return CommandResult.Outcome.exited }
            let why: CommandResult.Outcome = cancelled.isSet ? .cancelled : .timedOut
            process.signal(SIGTERM)
            try? await Task.sleep(for: Self.killGrace)
            if !Task.isCancelled { process.signal(SIGKILL) }
            return why
        }
        let (exitCode, signal) = await process.wait()
        stopper.cancel()
        let stoppedBy = await stopper.value
        let chunks = collector.finish()
        switch stoppedBy {
        case .cancelled, .timedOut:
            return ended(stoppedBy, exit: exitCode.map(Int.init), message: stoppedBy == .cancelled ? "cancelled" : "timed out after \(command.timeoutSeconds)s",
                         chunks: chunks)
        default:
            return ended(.exited, exit: exitCode.map(Int.init), message: signal.map { "killed by signal \($0)" }, chunks: chunks)
        }
    }
}

/// Set once to ask a running command to stop.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// Turns a program's output into numbered chunks, sent as they come and kept for the result.
final class OutputCollector: Sendable {
    private struct State {
        var chunks: [CommandOutputChunk] = []
        var bytes = 0
        var truncated = false
    }
    private let state = Mutex(State())
    let commandID: UUID
    let secrets: [String]
    let limit: Int
    let send: @Sendable (AgentMessage) -> Void

    init(commandID: UUID, secrets: [String], limit: Int, send: @escaping @Sendable (AgentMessage) -> Void) {
        self.commandID = commandID
        self.secrets = secrets
        self.limit = limit
        self.send = send
    }

    func add(_ data: Data, stream: String) {
        var offset = 0
        while offset < data.count {
            let piece = data[data.startIndex + offset ..< data.startIndex + min(data.count, offset + CommandExecutor.chunkBytes)]
            offset += piece.count
            var text = String(decoding: piece, as: UTF8.self)
            for secret in secrets { text = text.replacingOccurrences(of: secret, with: "********") }
            let chunk: CommandOutputChunk? = state.withLock { state in
                guard !state.truncated else { return nil }
                if state.bytes + piece.count > limit {
                    state.truncated = true
                    text = "\n[steward-agent: output past \(limit) bytes dropped]\n"
                }
                state.bytes += piece.count
                let chunk = CommandOutputChunk(commandID: commandID, sequence: state.chunks.count + 1, stream: stream, text: text)
                state.chunks.append(chunk)
                return chunk
            }
            if let chunk { send(.output(chunk)) }
        }
    }

    func finish() -> [CommandOutputChunk] { state.withLock { $0.chunks } }
}
