import Foundation
import Logging
import StewardAgentProtocol
import StewardDatabase
import StewardModel

/// Sends an agent connected here what waits for it: new commands (marked sent first), and the
/// cancellations asked for. Heard by NOTIFY on `AgentCommandRepository.channel` from whichever node
/// stored the command, so a command reaches its agent wherever the agent is connected.
struct AgentDelivery {
    let runtime: NodeRuntime
    let logger: Logger

    /// A NOTIFY payload: an agent id (something waits for it), or `revoked:<id>`.
    func heard(_ payload: String) {
        if payload.hasPrefix("revoked:"), let id = UUID(uuidString: String(payload.dropFirst("revoked:".count))) {
            if let session = runtime.agents.session(for: id) {
                logger.notice("closing the channel of revoked agent \(session.name)", metadata: ["agent": "\(id)"])
                session.close(with: .error(.init(code: "revoked", message: "this agent is revoked", fatal: true)), code: .policyViolation)
            }
            return
        }
        guard let id = UUID(uuidString: payload), let session = runtime.agents.session(for: id) else { return }
        Task { await deliver(to: session, reconnected: false) }
    }

    func deliver(to session: AgentSession, reconnected: Bool) async {
        let repository = AgentCommandRepository(logger: logger)
        do {
            let node = runtime.nodeID.uuid, incarnation = runtime.membership.incarnation.value
            let deliverable = try await repository.takeDeliverable(agentID: session.agentID, node: node, incarnation: incarnation,
                                                                   reconnected: reconnected, on: runtime.agentDatabase)
            // Told of a command and given none: the agent may have connected to another node, and this
            // channel be one it left whose socket is not yet found dead. Closed, it cannot mislead again.
            if deliverable.isEmpty, !reconnected,
               try await !AgentRepository(logger: logger).holds(session.agentID, node: node, incarnation: incarnation, on: runtime.agentDatabase) {
                logger.notice("agent \(session.name) is connected to another node: closing the channel it left here",
                              metadata: ["agent": "\(session.agentID)"])
                session.close(with: .reconnect(.init(reason: "this agent is connected to another node", afterMilliseconds: 0)), code: .goingAway)
                return
            }
            for command in deliverable {
                do {
                    session.send(.command(try await delivery(of: command)))
                } catch let missing as MissingSecret {
                    _ = try await repository.finish(command.id, agentID: command.agentID, state: "refused", exitCode: nil, startedAt: nil,
                                                    finishedAt: Date(), message: "secret \(missing.name) does not exist", chunks: 0,
                                                    on: runtime.agentDatabase)
                }
            }
            for id in try await repository.cancelsRequested(agentID: session.agentID, on: runtime.agentDatabase) {
                session.send(.cancel(.init(commandID: id)))
            }
        } catch {
            // The commands stay stored: the next notification or reconnect sends them.
            logger.warning("could not deliver commands to agent \(session.name): \(error)", metadata: ["agent": "\(session.agentID)"])
        }
    }

    /// The command as the agent gets it: secrets read now, on this node, audited, and sent only over the channel.
    func delivery(of command: AgentCommandInfo) async throws -> CommandDelivery {
        var environment = command.environment
        for (variable, secret) in command.secretEnvironment {
            switch try await SecretReader(runtime: runtime).read(secret, by: command.createdBy, purpose: "command \(command.id) on agent \(command.agentID)",
                                                                 source: nil) {
            case .value(let value): environment[variable] = String(decoding: value, as: UTF8.self)
            case .missing: throw MissingSecret(name: secret)
            }
        }
        return CommandDelivery(commandID: command.id, argv: command.argv, environment: environment,
                               secretNames: command.secretEnvironment.keys.sorted(), workingDirectory: command.workingDirectory,
                               timeoutSeconds: command.timeoutSeconds)
    }
}

struct MissingSecret: Error {
    let name: String
}
