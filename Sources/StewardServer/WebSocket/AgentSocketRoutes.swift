import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import StewardAgentProtocol
import StewardDatabase
import StewardModel
import X509

/// The agent channel on `server.websocket.port`, path `/ws/agent`. Only a peer with a client
/// certificate from the cluster CA (checked in the TLS handshake) gets past the upgrade; then,
/// before any work, it must be the current certificate of an agent that is not revoked, this node
/// must be online and within its accept rate. The conversation itself is `AgentChannel`.
struct AgentSocketRoutes {
    let runtime: NodeRuntime
    /// Agent messages are small JSON envelopes (output comes in chunks); a larger one is refused, not buffered.
    static let maxMessageSize = 64 * 1024

    func add(to router: Router<StewardRequestContext>) {
        router.ws(RouterPath(AgentProtocol.path)) { _, context in
            // Without a certificate the peer is no agent: refused before anything else, with a bare
            // 400 (Hummingbird's answer to every refused upgrade) and nothing about the cluster.
            guard try await Self.peerIdentity(context.channel) != nil else {
                context.logger.notice("agent upgrade refused: no client certificate: agents connect with the certificate they got at enrollment",
                                      metadata: ["peer": "\(context.remoteAddress?.description ?? "?")"])
                Self.closeSoon(context.channel)
                throw APIError(status: .forbidden, message: "no client certificate")
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            // A peer with a certificate from the cluster CA is told why it is turned away, in an
            // error and a close frame: a refused HTTP upgrade would leave the WebSocket client
            // library's socket open (it never closes it), one more for every retry.
            guard let presented = try await Self.peerIdentity(context.requestContext.channel) else { return }
            let peer = context.requestContext.remoteAddress?.description ?? "?"
            func refuse(_ code: String, _ why: String) async throws {
                context.logger.notice("agent upgrade refused: \(why)", metadata: ["peer": "\(peer)", "agent": "\(presented.agentID)"])
                try await outbound.writeTextMessage(try AgentMessage.error(.init(code: code, message: why, fatal: true)).encoded())
                try await outbound.close(.policyViolation, reason: code)
            }
            guard runtime.acceptsWork else {
                return try await refuse("not-online", "this node is \(runtime.state.display); connect to another node")
            }
            let admission = try await AgentRepository(logger: runtime.logger)
                .admission(agentID: presented.agentID, certificateSerial: presented.serial, on: runtime.agentDatabase)
            switch admission {
            case .admitted(let name):
                let channel = AgentChannel(runtime: runtime, session: AgentSession(agentID: presented.agentID, name: name, certificateSerial: presented.serial),
                                           logger: context.logger)
                try await channel.run(inbound: inbound, outbound: outbound)
            case .unknown: try await refuse("unknown-agent", "agent \(presented.agentID) is not enrolled in this cluster")
            case .revoked: try await refuse("revoked", "agent \(presented.agentID) is revoked")
            case .replacedCertificate:
                try await refuse("replaced-certificate", "agent \(presented.agentID) presented a certificate that is no longer its own")
            }
        }
    }

    /// Closes a refused connection once its answer is out: Hummingbird keeps an upgrade request's
    /// connection alive after a refusal, until the idle timeout.
    static func closeSoon(_ channel: any Channel) {
        channel.eventLoop.scheduleTask(in: .milliseconds(100)) { channel.close(promise: nil) }
    }

    /// The agent id (the common name the CA gave it) and serial of a client certificate the TLS
    /// handshake verified; nil when the peer sent none.
    static func peerIdentity(_ channel: any Channel) async throws -> (agentID: UUID, serial: String)? {
        guard let presented = try await channel.nioSSL_peerCertificate().get() else { return nil }
        let certificate = try Certificate(derEncoded: try presented.toDERBytes())
        let commonName = certificate.subject.lazy.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }
        guard let commonName, let text = String(commonName.value), let id = UUID(uuidString: text) else { return nil }
        return (id, certificate.serialNumber.description)
    }
}
