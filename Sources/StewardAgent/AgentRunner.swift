import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL
import StewardAgentProtocol
import Synchronization

/// The agent's life: connect to a node, say hello, run what it is sent, and when the connection
/// ends (the node died, drained or sent it away) go to another, waiting a random time below a
/// doubling bound capped at `backoffCap` (full jitter: a thousand agents of a dead node arrive spread out).
public final class AgentRunner: Sendable {
    public static let version = "0.1.0"

    let configuration: AgentConfiguration
    let folder: AgentStateFolder
    let identity: AgentStateFolder.Identity
    let ledger: CommandLedger
    let executor: CommandExecutor
    let logger: Logger
    let certificate: AgentCertificate
    private let state = Mutex(Shared())

    struct Shared {
        var nodes: [String] = []
        var outbox: AsyncStream<AgentMessage>.Continuation?
        var cancels: [UUID: CancelFlag] = [:]
        var status: AgentStateFolder.Status
        var lastAcknowledged: UUID?
        var lastStatusWrite = ContinuousClock.now - .seconds(60)
        /// From the last welcome: how often both sides ping.
        var heartbeat: Duration = .seconds(10)
        init() { status = .init(pid: getpid()) }
    }

    public init(configuration: AgentConfiguration, logger: Logger) throws {
        self.configuration = configuration
        folder = AgentStateFolder(path: configuration.stateDirectory)
        guard let identity = try folder.identity() else {
            throw AgentError("this agent is not enrolled (no \(folder.path)/identity.json): run `steward-agent enroll --server URL --token TOKEN --ca-pin PIN` first")
        }
        self.identity = identity
        ledger = try CommandLedger(folder: folder, slots: configuration.maxConcurrentCommands)
        executor = CommandExecutor(configuration: configuration)
        self.logger = logger
        certificate = AgentCertificate(folder: folder)
        try certificate.recover()
        _ = try certificate.tls()
        let known = folder.knownNodes()
        state.withLock { $0.nodes = known }
    }

    /// Runs until cancelled.
    public func run() async {
        var attempt = 0
        var previous: String?
        while !Task.isCancelled {
            let url = pick(avoiding: previous)
            previous = url
            let outcome = await connect(url)
            if Task.isCancelled { break }
            switch outcome {
            case .welcomed(let reconnectAfter):
                attempt = 0
                if let reconnectAfter { try? await Task.sleep(for: reconnectAfter) }
            case .failed(let why):
                attempt += 1
                record { $0.lastError = why; $0.connectedTo = nil; $0.nodeName = nil; $0.connectedSince = nil }
                // Refused for who it is (revoked, unknown, an old certificate): no node will take it soon.
                let refusedForGood = ["revoked", "unknown-agent", "replaced-certificate"].contains { why.hasPrefix($0 + ":") }
                let wait = Self.backoff(attempt: attempt, cap: refusedForGood ? .seconds(60) : configuration.backoffCap)
                logger.info("cannot connect to \(url): \(why); next try in \(wait)")
                try? await Task.sleep(for: wait)
            }
        }
        record { $0.connectedTo = nil; $0.nodeName = nil; $0.connectedSince = nil }
    }

    /// Full jitter: uniform between zero and min(cap, 250 ms × 2^attempt).
    static func backoff(attempt: Int, cap: Duration) -> Duration {
        let bound = min(cap.inMillisecondsDouble, 250 * pow(2, Double(min(attempt, 16))))
        return .milliseconds(Int64(Double.random(in: 0...bound)))
    }

    /// A node from the last welcome's list (not the one just left, while there are others), else a configured server.
    func pick(avoiding previous: String?) -> String {
        let nodes = configuration.useNodeList ? state.withLock { $0.nodes } : []
        let configured = configuration.servers.isEmpty ? [identity.enrolledThrough] : configuration.servers
        let candidates = nodes.isEmpty ? configured : nodes
        let others = candidates.filter { $0 != previous }
        return (others.isEmpty ? candidates : others).randomElement() ?? identity.enrolledThrough
    }

    enum Outcome: Sendable {
        /// The node welcomed the agent, and the channel ended later; wait this long first when the node asked.
        case welcomed(reconnectAfter: Duration?)
        case failed(String)
    }

    /// A connection attempt that has not been welcomed by then is given up (a node that accepted
    /// the socket but never answers: an overloaded accept queue, a half-open path).
    static let welcomeTimeout: Duration = .seconds(30)

    /// One connection, from the attempt to its end; cut off when no welcome came within `welcomeTimeout`.
    func connect(_ url: String) async -> Outcome {
        let welcomed = OutcomeBox()
        let attempt = Task { await self.connect(url, welcomed: welcomed) }
        let watchdog = Task {
            try await Task.sleep(for: Self.welcomeTimeout)
            if welcomed.value.withLock({ $0 == nil }) { attempt.cancel() }
        }
        let outcome = await withTaskCancellationHandler { await attempt.value } onCancel: { attempt.cancel() }
        watchdog.cancel()
        return outcome
    }

    final class OutcomeBox: Sendable {
        let value = Mutex<Outcome?>(nil)
    }

    func connect(_ url: String, welcomed: OutcomeBox) async -> Outcome {
        var settings = WebSocketClientConfiguration()
        settings.maxFrameSize = 64 * 1024
        let heartbeat = state.withLock { $0.heartbeat }
        settings.autoPing = .enabled(timePeriod: heartbeat)
        settings.closeTimeout = heartbeat
        let tls: TLSConfiguration
        do {
            tls = try certificate.tls()
        } catch {
            return .failed("cannot read this agent's key and certificate in \(folder.path): \(error)")
        }
        do {
            try await WebSocketClient.connect(url: url, configuration: settings, tlsConfiguration: tls, logger: logger) { inbound, outbound, _ in
                let (outbox, continuation) = AsyncStream<AgentMessage>.makeStream()
                self.state.withLock { $0.outbox = continuation }
                defer {
                    continuation.finish()
                    self.state.withLock { $0.outbox = nil }
                }
                let writer = Task {
                    for await message in outbox {
                        try await outbound.writeTextMessage(try message.encoded())
                    }
                }
                defer { writer.cancel() }
                let acknowledged = self.state.withLock { $0.lastAcknowledged }
                continuation.yield(.hello(.init(agentID: self.identity.agentID, agentVersion: Self.version, lastAcknowledged: acknowledged)))
                for try await message in inbound.messages(maxSize: 64 * 1024) {
                    guard case .text(let text) = message else { continue }
                    let decoded: AgentMessage
                    do throws(AgentMessage.ReadError) {
                        decoded = try AgentMessage.decode(text)
                    } catch {
                        continuation.yield(.error(error.protocolError))
                        if error.fatal { return }
                        continue
                    }
                    switch try await self.handle(decoded, url: url) {
                    case .keepGoing: break
                    case .welcomed: welcomed.value.withLock { $0 = .welcomed(reconnectAfter: nil) }
                    case .leave(let after):
                        welcomed.value.withLock { $0 = .welcomed(reconnectAfter: after) }
                        try? await outbound.close(.goingAway, reason: "reconnecting")
                        return
                    case .refused(let why):
                        welcomed.value.withLock { $0 = .failed(why) }
                        return
                    }
                }
            }
        } catch {
            if let outcome = welcomed.value.withLock({ $0 }) { return outcome }
            return .failed("\(error)")
        }
        return welcomed.value.withLock { $0 } ?? .failed("the node closed the channel before its welcome")
    }

    enum Next {
        case keepGoing, welcomed
        case leave(after: Duration)
        case refused(String)
    }

    func handle(_ message: AgentMessage, url: String) async throws -> Next {
        touch()
        switch message {
        case .welcome(let welcome):
            let urls = welcome.nodes.map(\.url)
            state.withLock {
                $0.nodes = urls
                $0.heartbeat = .seconds(min(max(welcome.heartbeatSeconds, 1), 300))
            }
            try? folder.saveKnownNodes(urls)
            record { $0.connectedTo = url; $0.nodeName = welcome.nodeName; $0.connectedSince = Date(); $0.lastError = nil }
            logger.notice("connected to \(welcome.nodeName) (\(url)); \(urls.count) node(s) online")
            renewIfDue()
            return .welcomed
        case .renewed(let renewed):
            do {
                let until = try certificate.install(renewed.certificatePEM)
                logger.notice("certificate renewed, valid until \(until.formatted(.iso8601)); used from the next connection")
            } catch {
                logger.error("\(error)")
            }
        case .command(let command):
            await receive(command)
        case .ack(let ack):
            await ledger.acknowledged(ack.commandID)
            state.withLock { $0.lastAcknowledged = ack.commandID }
        case .cancel(let cancel):
            _ = state.withLock { $0.cancels[cancel.commandID] }?.set()
        case .reconnect(let reconnect):
            logger.notice("the node asks this agent to reconnect elsewhere: \(reconnect.reason)")
            return .leave(after: .milliseconds(max(0, min(reconnect.afterMilliseconds, 60_000))))
        case .error(let error):
            logger.warning("the node refused: \(error.code): \(error.message)")
            if error.fatal { return .refused("\(error.code): \(error.message)") }
        case .hello, .started, .output, .result, .renew:
            send(.error(.init(code: "direction", message: "'\(message.type)' is sent by agents, not nodes", fatal: false)))
        }
        return .keepGoing
    }

    /// Asks for a new certificate when less than `renewBefore` is left of this one (once per connection).
    func renewIfDue() {
        do {
            let left = try certificate.expiry().timeIntervalSinceNow
            guard left < Double(configuration.renewBefore.components.seconds) else { return }
            logger.notice("the certificate ends in \(Int(left / 86400)) day(s): renewing it")
            send(.renew(.init(csr: try certificate.renewalRequest(name: identity.name))))
        } catch {
            logger.error("cannot renew the certificate: \(error)")
        }
    }

    /// A command from a node: run once, whatever number of times it arrives.
    func receive(_ command: CommandDelivery) async {
        let decision: CommandLedger.Decision
        do {
            decision = try await ledger.admit(command.commandID)
        } catch {
            logger.error("\(error)")
            return
        }
        switch decision {
        case .running:
            return
        case .resend(let stored):
            for chunk in stored.chunks { send(.output(chunk)) }
            send(.result(stored.result))
        case .interrupted:
            let result = CommandResult(commandID: command.commandID, outcome: .interrupted, exitCode: nil, startedAt: nil, finishedAt: Date(),
                                       message: "the agent stopped while this command ran; it is not run again", chunks: 0)
            try? await ledger.finished(.init(result: result, chunks: []))
            send(.result(result))
        case .run:
            let flag = CancelFlag()
            state.withLock { $0.cancels[command.commandID] = flag }
            Task {
                do {
                    try await ledger.begin(command.commandID)
                } catch {
                    logger.error("\(error)")
                    return
                }
                logger.info("running command \(command.commandID): \(command.argv[0])")
                let stored = await executor.run(command, cancelled: flag) { [weak self] message in self?.send(message) }
                do {
                    try await ledger.finished(stored)
                } catch {
                    logger.error("cannot keep the result of command \(command.commandID): \(error)")
                }
                _ = state.withLock { $0.cancels.removeValue(forKey: command.commandID) }
                // The chunks again: any sent while no node was connected were lost on the way (the node stores each once).
                for chunk in stored.chunks { send(.output(chunk)) }
                send(.result(stored.result))
                logger.info("command \(command.commandID) ended: \(stored.result.outcome.rawValue) \(stored.result.exitCode.map(String.init) ?? "")")
            }
        }
    }

    /// Sends on the current connection; dropped when there is none (what matters is resent on reconnect).
    func send(_ message: AgentMessage) {
        _ = state.withLock { $0.outbox }?.yield(message)
    }

    func touch() {
        let due = state.withLock { shared -> Bool in
            shared.status.lastContact = Date()
            guard ContinuousClock.now - shared.lastStatusWrite > .seconds(5) else { return false }
            shared.lastStatusWrite = .now
            return true
        }
        if due { record { _ in } }
    }

    func record(_ change: (inout AgentStateFolder.Status) -> Void) {
        let status = state.withLock { shared in
            change(&shared.status)
            return shared.status
        }
        try? folder.save(status)
    }
}

extension Duration {
    var inMillisecondsDouble: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
