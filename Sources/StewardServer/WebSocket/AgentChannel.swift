import Foundation
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import StewardAgentProtocol
import StewardDatabase
import StewardModel
import X509

/// One authenticated agent's conversation with this node (docs/agents.md, "Wire protocol"):
/// hello → welcome, then commands out and their progress and results in. The agent is online
/// while this runs and offline when it ends, unless it has connected again meanwhile.
struct AgentChannel {
    let runtime: NodeRuntime
    let session: AgentSession
    let logger: Logger

    /// A peer that has said nothing this long after the upgrade is not an agent.
    static let helloTimeout: Duration = .seconds(10)
    /// Messages per second one agent may send, on average, and in a burst.
    static let messageRate = 200.0
    static let messageBurst = 1000.0

    var agents: AgentRepository { AgentRepository(logger: logger) }
    var commands: AgentCommandRepository { AgentCommandRepository(logger: logger) }
    var incarnation: Int64 { runtime.membership.incarnation.value }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let writer = Task { await Self.write(session.outbox, to: outbound, logger: logger) }
        defer { session.finish() }
        var messages = inbound.messages(maxSize: AgentSocketRoutes.maxMessageSize).makeAsyncIterator()
        guard let hello = try await firstHello(&messages) else {
            session.finish()
            await writer.value
            return
        }
        guard try await agents.markOnline(session.agentID, node: runtime.nodeID.uuid, incarnation: incarnation,
                                          agentVersion: String(hello.agentVersion.prefix(64)), certificateSerial: session.certificateSerial,
                                          on: runtime.agentDatabase) else {
            fail(.init(code: "revoked", message: "this agent is revoked", fatal: true))
            await writer.value
            return
        }
        runtime.agents.register(session)?.close(with: .reconnect(.init(reason: "this agent connected again", afterMilliseconds: 0)),
                                               code: .policyViolation)
        logger.info("agent \(session.name) connected", metadata: ["agent": "\(session.agentID)", "version": "\(hello.agentVersion.prefix(64))"])
        session.send(.welcome(try await welcome()))
        await deliver(reconnected: true)
        do {
            try await converse(&messages)
        } catch {
            logger.debug("agent \(session.name) channel ended: \(error)")
        }
        if runtime.agents.unregister(session) {
            try? await agents.markOffline(session.agentID, node: runtime.nodeID.uuid, incarnation: incarnation, on: runtime.agentDatabase)
            logger.info("agent \(session.name) disconnected", metadata: ["agent": "\(session.agentID)"])
        }
        session.finish()
        await writer.value
    }

    static func write(_ outbox: AsyncStream<AgentSession.Outgoing>, to outbound: WebSocketOutboundWriter, logger: Logger) async {
        for await outgoing in outbox {
            do {
                switch outgoing {
                case .message(let message):
                    try await outbound.writeTextMessage(try message.encoded())
                case .close(let message, let code):
                    try await outbound.writeTextMessage(try message.encoded())
                    try await outbound.close(code, reason: message.type)
                    return
                }
            } catch {
                logger.debug("agent channel write failed: \(error)")
                return
            }
        }
    }

    func fail(_ error: ProtocolError) {
        if error.fatal {
            session.close(with: .error(error), code: error.code == "rate" ? .policyViolation : .unacceptableData)
        } else {
            session.send(.error(error))
        }
    }

    /// The hello, within its deadline, for the agent the certificate names.
    func firstHello(_ messages: inout WebSocketInboundMessageStream.AsyncIterator) async throws -> AgentHello? {
        let deadline = Task { [session] in
            try await Task.sleep(for: Self.helloTimeout)
            session.close(with: .error(.init(code: "hello-timeout", message: "no hello within \(Self.helloTimeout)", fatal: true)),
                          code: .policyViolation)
        }
        defer { deadline.cancel() }
        guard let first = try await messages.next() else { return nil }
        guard case .text(let text) = first else {
            fail(.init(code: "binary", message: "agent messages are JSON text", fatal: true))
            return nil
        }
        do {
            guard case .hello(let hello) = try AgentMessage.decode(text) else {
                fail(.init(code: "hello-first", message: "the first message is a hello", fatal: true))
                return nil
            }
            guard hello.agentID == session.agentID else {
                fail(.init(code: "identity", message: "the hello names another agent than the certificate", fatal: true))
                return nil
            }
            return hello
        } catch {
            fail(error.protocolError.fatalCopy)
            return nil
        }
    }

    func converse(_ messages: inout WebSocketInboundMessageStream.AsyncIterator) async throws {
        var allowance = Self.messageBurst
        var lastMessage = ContinuousClock.now
        while let message = try await messages.next() {
            let now = ContinuousClock.now
            allowance = min(Self.messageBurst, allowance + (now - lastMessage).inSeconds * Self.messageRate) - 1
            lastMessage = now
            guard allowance >= 0 else {
                fail(.init(code: "rate", message: "more than \(Int(Self.messageRate)) messages a second", fatal: true))
                return
            }
            guard case .text(let text) = message else {
                fail(.init(code: "binary", message: "agent messages are JSON text", fatal: true))
                return
            }
            let decoded: AgentMessage
            do {
                decoded = try AgentMessage.decode(text)
            } catch {
                fail(error.protocolError)
                if error.fatal { return }
                continue
            }
            try await handle(decoded)
        }
    }

    func handle(_ message: AgentMessage) async throws {
        let agent = session.agentID, database = runtime.agentDatabase
        switch message {
        case .started(let started):
            try await commands.markStarted(started.commandID, agentID: agent, at: started.startedAt, on: database)
        case .output(let chunk):
            guard ["stdout", "stderr"].contains(chunk.stream), chunk.sequence > 0 else {
                fail(.init(code: "bad-body", message: "output: stream is stdout or stderr, sequence from 1", fatal: false))
                return
            }
            try await commands.appendOutput(chunk.commandID, agentID: agent, sequence: chunk.sequence, stream: chunk.stream,
                                            text: chunk.text, on: database)
        case .result(let result):
            // Stored before the agent's copy is acknowledged: a node dying in between costs a resend, never the result.
            if try await commands.finish(result.commandID, agentID: agent, state: Self.state(of: result), exitCode: result.exitCode,
                                         startedAt: result.startedAt, finishedAt: result.finishedAt,
                                         message: result.message.map { String($0.prefix(2000)) }, chunks: result.chunks, on: database) {
                session.send(.ack(.init(commandID: result.commandID)))
            }
        case .renew(let renewal):
            try await renew(renewal)
        case .hello:
            fail(.init(code: "hello-again", message: "hello comes once, first", fatal: false))
        case .welcome, .command, .ack, .cancel, .reconnect, .renewed:
            fail(.init(code: "direction", message: "'\(message.type)' is sent by nodes, not agents", fatal: false))
        case .error(let error):
            logger.notice("agent \(session.name) reports: \(error.code): \(error.message.prefix(500))")
        }
    }

    /// A new certificate for a new key, from the cluster's active CA, recorded before it is sent.
    func renew(_ renewal: CertificateRenewal) async throws {
        guard renewal.csr.utf8.count <= 8192, let csr = try? CertificateSigningRequest(pemEncoded: renewal.csr) else {
            fail(.init(code: "bad-body", message: "renew: csr is not a PEM certificate signing request of at most 8 KiB", fatal: false))
            return
        }
        guard let authority = runtime.keys.keystore.activeAuthority else {
            fail(.init(code: "no-ca", message: "the cluster has no active CA to renew with; retry later", fatal: false))
            return
        }
        let certificate: Certificate
        do {
            certificate = try authority.sign(csr, commonName: session.agentID.uuidString.lowercased(), validity: AgentRoutes.certificateValidity)
        } catch {
            fail(.init(code: "bad-body", message: "renew: \(error)", fatal: false))
            return
        }
        let agents = self.agents, session = self.session, runtime = self.runtime
        let renewed = try await runtime.transaction { connection in
            guard try await agents.renew(session.agentID, presented: session.certificateSerial, serial: certificate.serialNumber.description,
                                         expiresAt: certificate.notValidAfter, on: connection) else { return false }
            try await AuditTrail(runtime: runtime).record(actor: "agent:\(session.name)", action: "agent.renew",
                                                          target: session.agentID.uuidString.lowercased(), source: nil,
                                                          details: ["serial": certificate.serialNumber.description], on: connection)
            return true
        }
        guard renewed else {
            fail(.init(code: "revoked", message: "this agent is revoked", fatal: true))
            return
        }
        logger.notice("renewed the certificate of agent \(session.name) until \(certificate.notValidAfter)", metadata: ["agent": "\(session.agentID)"])
        session.send(.renewed(.init(certificatePEM: try certificate.serializeAsPEM().pemString)))
    }

    static func state(of result: CommandResult) -> String {
        switch result.outcome {
        case .exited: result.exitCode == 0 ? "succeeded" : "failed"
        case .timedOut: "timed-out"
        case .cancelled: "cancelled"
        case .refused: "refused"
        case .interrupted: "interrupted"
        }
    }

    func welcome() async throws -> Welcome {
        let nodes = try await ClusterRoutes(runtime: runtime).statuses()
            .filter { $0.stateCode == .online }
            .map { NodeEndpoint(name: $0.name, url: "wss://\($0.host):\($0.webSocketPort)\(AgentProtocol.path)") }
        let ping = runtime.configuration.listeners.agentPingInterval
        return Welcome(nodeID: runtime.nodeID.uuid, nodeName: runtime.nodeName, nodes: nodes, heartbeatSeconds: Int(ping.components.seconds))
    }

    /// Sends what waits for this agent, and passes on cancellations.
    func deliver(reconnected: Bool) async {
        await AgentDelivery(runtime: runtime, logger: logger).deliver(to: session, reconnected: reconnected)
    }
}

extension ProtocolError {
    var fatalCopy: ProtocolError { ProtocolError(code: code, message: message, fatal: true) }
}
