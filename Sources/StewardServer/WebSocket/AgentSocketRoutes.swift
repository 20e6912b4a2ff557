import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import StewardAgentProtocol
import StewardModel

/// The agent channel on `server.websocket.port`, path `/ws/agent`. For now it greets every
/// connection with a hello that names only the protocol versions (nothing about the cluster goes to
/// a peer that has not authenticated) and answers what it does not understand with a clear error;
/// the command protocol builds on these envelopes.
struct AgentSocketRoutes {
    let runtime: NodeRuntime
    /// Agent messages are small JSON envelopes; a larger one is refused, not buffered.
    static let maxMessageSize = 64 * 1024

    func add(to router: Router<StewardRequestContext>) {
        router.ws(RouterPath(AgentProtocol.path)) { _, context in
            // A node that is not online sends agents elsewhere before any work is done.
            guard runtime.acceptsWork else {
                // Hummingbird answers every refused upgrade with 400, whatever the route says: log what it means.
                context.logger.notice("agent upgrade refused: this node is \(runtime.state.display)",
                                      metadata: ["peer": "\(context.remoteAddress?.description ?? "?")", "status": "400"])
                throw APIError(status: .badRequest, message: "this node is \(runtime.state.display); connect to another node")
            }
            context.logger.debug("agent socket upgrade", metadata: ["peer": "\(context.remoteAddress?.description ?? "?")"])
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            let (id, closeRequests) = runtime.agents.register()
            defer { runtime.agents.unregister(id) }
            // When the node leaves service, each agent is told why and asked to reconnect elsewhere.
            let closer = Task {
                for await reason in closeRequests {
                    try? await refuse(outbound, code: "reconnect", message: "\(reason); reconnect to another node", fatal: true)
                    return
                }
            }
            defer { closer.cancel() }
            try await outbound.writeTextMessage(try hello())
            for try await message in inbound.messages(maxSize: Self.maxMessageSize) {
                guard case .text(let text) = message else {
                    try await refuse(outbound, code: "binary", message: "agent messages are JSON text", fatal: true)
                    return
                }
                let reply = answer(text)
                try await outbound.writeTextMessage(reply.text)
                if reply.fatal {
                    try await outbound.close(.protocolError, reason: "protocol error")
                    return
                }
            }
        }
    }

    func hello() throws -> String {
        try EnvelopeCoding.encode(ServerHello.type, ServerHello())
    }

    /// The reply to one inbound text message; `fatal` closes the connection after it.
    func answer(_ text: String) -> (text: String, fatal: Bool) {
        func error(_ code: String, _ message: String, fatal: Bool) -> (String, Bool) {
            let body = ProtocolError(code: code, message: message, fatal: fatal)
            return ((try? EnvelopeCoding.encode(ProtocolError.type, body)) ?? "{}", fatal)
        }
        guard let header = try? EnvelopeCoding.header(text) else {
            return error("malformed", "not a JSON envelope {\"v\":…,\"type\":…,\"body\":…}", fatal: true)
        }
        guard header.v == AgentProtocol.version else {
            return error("version", "protocol version \(header.v) is not supported; this node speaks \(AgentProtocol.version)", fatal: true)
        }
        switch header.type {
        case "hello":
            return ((try? hello()) ?? "{}", false)
        default:
            return error("unknown-type", "message type '\(header.type.prefix(64))' is not known to this node", fatal: false)
        }
    }

    func refuse(_ outbound: WebSocketOutboundWriter, code: String, message: String, fatal: Bool) async throws {
        try await outbound.writeTextMessage(try EnvelopeCoding.encode(ProtocolError.type, ProtocolError(code: code, message: message, fatal: fatal)))
        if fatal { try await outbound.close(code == "reconnect" ? .goingAway : .unacceptableData, reason: code) }
    }
}
