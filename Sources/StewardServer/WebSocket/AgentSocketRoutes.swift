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

/// The agent channel on `server.websocket.port`, path `/ws/agent`. The upgrade is refused, before
/// any work and with nothing about the cluster in the answer, unless the peer presented a client
/// certificate from the cluster CA (checked in the TLS handshake) that is the current one of an
/// agent that is not revoked, and this node is online. The conversation itself is `AgentChannel`.
struct AgentSocketRoutes {
    let runtime: NodeRuntime
    /// Agent messages are small JSON envelopes (output comes in chunks); a larger one is refused, not buffered.
    static let maxMessageSize = 64 * 1024

    func add(to router: Router<StewardRequestContext>) {
        router.ws(RouterPath(AgentProtocol.path)) { _, context in
            let peer = context.remoteAddress?.description ?? "?"
            // Hummingbird answers every refused upgrade with 400, whatever the route says: the log says what it means.
            func refuse(_ why: String, status: HTTPResponse.Status = .forbidden) -> APIError {
                context.logger.notice("agent upgrade refused: \(why)", metadata: ["peer": "\(peer)", "status": "\(status.code)"])
                return APIError(status: status, message: why)
            }
            guard let presented = try await Self.peerIdentity(context.channel) else {
                throw refuse("no client certificate: agents connect with the certificate they got at enrollment")
            }
            guard runtime.acceptsWork else { throw refuse("this node is \(runtime.state.display); connect to another node", status: .serviceUnavailable) }
            guard runtime.agentAccepts.take() else { throw refuse("too many agents connecting at once; retry shortly", status: .serviceUnavailable) }
            let admission = try await AgentRepository(logger: runtime.logger)
                .admission(agentID: presented.agentID, certificateSerial: presented.serial, on: runtime.database)
            switch admission {
            case .admitted: return .upgrade([:])
            case .unknown: throw refuse("agent \(presented.agentID) is not enrolled in this cluster")
            case .revoked: throw refuse("agent \(presented.agentID) is revoked")
            case .replacedCertificate: throw refuse("agent \(presented.agentID) presented a certificate that is no longer its own")
            }
        } onUpgrade: { inbound, outbound, context in
            guard let presented = try await Self.peerIdentity(context.requestContext.channel),
                  case .admitted(let name) = try await AgentRepository(logger: runtime.logger)
                      .admission(agentID: presented.agentID, certificateSerial: presented.serial, on: runtime.database) else { return }
            let channel = AgentChannel(runtime: runtime, session: AgentSession(agentID: presented.agentID, name: name, certificateSerial: presented.serial),
                                       logger: context.logger)
            try await channel.run(inbound: inbound, outbound: outbound)
        }
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
