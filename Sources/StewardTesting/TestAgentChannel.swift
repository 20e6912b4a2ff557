import Foundation
import HummingbirdWSClient
import Logging
import StewardAgentProtocol
import Synchronization

/// An agent's channel held by the test itself (real TLS with the agent's certificate, a real
/// WebSocket): either answering every command at once with exit code 0, or silent after its
/// welcome, like a channel an agent has left whose socket nobody has found dead yet.
public final class TestAgentChannel: Sendable {
    public enum Behaviour: Sendable { case answering, silent }

    private let welcomed = Mutex(false)
    private let answered = Atomic<Int>(0)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// Commands this channel answered.
    public var commandsAnswered: Int { answered.load(ordering: .relaxed) }

    /// Connects as `identity` to `url`, sends its hello, and returns once the node has welcomed it.
    public static func open(url: String, identity: TestAgentIdentity, _ behaviour: Behaviour,
                            timeout: Duration = .seconds(30)) async throws -> TestAgentChannel {
        let channel = TestAgentChannel()
        let tls = try identity.tls
        let hello = identity.hello
        let logger = Logger(label: "steward.test.agent-channel")
        channel.task.withLock {
            $0 = Task {
                try await WebSocketClient.connect(url: url, tlsConfiguration: tls, logger: logger) { inbound, outbound, _ in
                    try await outbound.writeTextMessage(hello)
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message, let decoded = try? AgentMessage.decode(text) else { continue }
                        switch decoded {
                        case .welcome:
                            channel.welcomed.withLock { $0 = true }
                            // Reads nothing more: whatever the node sends waits in the socket.
                            if behaviour == .silent { try await Task.sleep(for: .seconds(3600)) }
                        case .command(let command) where behaviour == .answering:
                            let now = Date()
                            try await outbound.writeTextMessage(try AgentMessage.result(.init(
                                commandID: command.commandID, outcome: .exited, exitCode: 0, startedAt: now, finishedAt: now, message: nil,
                                chunks: 0)).encoded())
                            channel.answered.add(1, ordering: .relaxed)
                        default:
                            break
                        }
                    }
                }
            }
        }
        let deadline = ContinuousClock.now + timeout
        while !channel.welcomed.withLock({ $0 }) {
            guard ContinuousClock.now < deadline else {
                channel.close()
                throw HarnessError("agent channel to \(url): no welcome within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return channel
    }

    /// Ends the channel (the connection closes once the client library has ended it).
    public func close() { task.withLock { $0?.cancel() } }

    deinit { task.withLock { $0?.cancel() } }
}
