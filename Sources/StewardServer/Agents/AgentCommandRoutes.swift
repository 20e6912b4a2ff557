import Foundation
import Hummingbird
import StewardDatabase
import StewardModel

/// Commands for agents: stored first (`queued`), then sent by whichever node holds the agent's
/// channel (see `AgentDelivery`); read, with their output, through any node.
struct AgentCommandRoutes {
    let runtime: NodeRuntime

    static let defaultTimeout = 600
    static let timeouts = 1...86400
    static let defaultExpiry = 3600
    static let expiries = 10...(7 * 86400)

    var commands: AgentCommandRepository { AgentCommandRepository(logger: runtime.logger) }

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.post("agents/{id}/commands") { request, context -> Response in
            let id = try AgentRoutes.agentID(context)
            let body = try await request.decode(as: AgentCommandRequest.self, context: context)
            guard let agent = try await AgentRepository(logger: runtime.logger).find(id, on: runtime.database) else {
                throw APIError.notFound("no agent \(id)")
            }
            guard agent.state != "revoked" else { throw APIError(status: .conflict, message: "agent \(agent.name) is revoked") }
            let created = try await create(body, for: [id], request: request, context: context)
            return try AuthRoutes.json(created[0], status: .created)
        }
        api.post("commands") { request, context -> Response in
            let body = try await request.decode(as: AgentCommandRequest.self, context: context)
            guard let tag = body.tag, EnrollmentChecks.isTag(tag) else { throw APIError.badRequest("tag: the tag of the agents to run it on") }
            let targets = try await AgentRepository(logger: runtime.logger).list(tag: tag, state: nil, on: runtime.database)
                .filter { $0.state != "revoked" }.map(\.id)
            guard !targets.isEmpty else { throw APIError.notFound("no agent has tag \(tag)") }
            return try AuthRoutes.json(try await create(body, for: targets, request: request, context: context), status: .created)
        }
        api.get("agents/{id}/commands") { request, context -> [AgentCommandInfo] in
            let id = try AgentRoutes.agentID(context)
            let limit = min(max(request.uri.queryParameters["limit"].flatMap { Int($0) } ?? 50, 1), 500)
            return try await commands.list(agentID: id, limit: limit, on: runtime.database)
        }
        api.get("commands/{id}") { _, context -> AgentCommandInfo in
            try await find(context)
        }
        api.get("commands/{id}/output") { request, context -> AgentCommandOutput in
            let command = try await find(context)
            let after = request.uri.queryParameters["after"].flatMap { Int($0) } ?? 0
            let chunks = try await commands.output(command.id, after: after, limit: 1000, on: runtime.database)
            return AgentCommandOutput(command: command, chunks: chunks)
        }
        api.post("commands/{id}/cancel") { request, context -> AgentCommandInfo in
            let identity = try context.requireIdentity()
            let id = try Self.commandID(context)
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime, commands = self.commands
            return try await runtime.transaction { connection in
                guard let command = try await commands.cancel(id, on: connection) else { throw APIError.notFound("no command \(id)") }
                try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "agent.command.cancel",
                                                              target: id.uuidString.lowercased(), source: source, details: [:], on: connection)
                return command
            }
        }
    }

    static func commandID(_ context: StewardRequestContext) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw APIError.badRequest("a command id is a UUID") }
        return id
    }

    func find(_ context: StewardRequestContext) async throws -> AgentCommandInfo {
        let id = try Self.commandID(context)
        guard let command = try await commands.find(id, on: runtime.database) else { throw APIError.notFound("no command \(id)") }
        return command
    }

    func create(_ body: AgentCommandRequest, for agents: [UUID], request: Request, context: StewardRequestContext) async throws -> [AgentCommandInfo] {
        let identity = try context.requireIdentity()
        let command = try Self.checked(body, by: identity.username)
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime, commands = self.commands
        return try await runtime.transaction { connection in
            let created = try await commands.create(command, for: agents, on: connection)
            for info in created {
                // The argv may hold anything; the audit names the program only.
                try await AuditTrail(runtime: runtime).record(
                    actor: identity.username, action: "agent.command", target: info.id.uuidString.lowercased(), source: source,
                    details: ["agent": info.agentID.uuidString.lowercased(), "program": info.argv[0],
                              "secrets": info.secretEnvironment.values.sorted().joined(separator: ",")], on: connection)
            }
            return created
        }
    }

    /// The request's fields, checked at the edge.
    static func checked(_ body: AgentCommandRequest, by user: String) throws -> AgentCommandRepository.NewCommand {
        guard let program = body.argv.first, !program.isEmpty else { throw APIError.badRequest("argv: the program and its arguments, at least the program") }
        guard body.argv.count <= 256, body.argv.allSatisfy({ $0.utf8.count <= 8192 && !$0.contains("\0") }) else {
            throw APIError.badRequest("argv: at most 256 arguments of 8 KiB each, without NUL")
        }
        let environment = body.environment ?? [:], secrets = body.secretEnvironment ?? [:]
        guard environment.count + secrets.count <= 128 else { throw APIError.badRequest("environment: at most 128 variables") }
        for name in Array(environment.keys) + Array(secrets.keys) where !isVariableName(name) {
            throw APIError.badRequest("environment: '\(name.prefix(64))' is not a variable name (letters, digits, '_', not starting with a digit)")
        }
        guard environment.values.allSatisfy({ $0.utf8.count <= 8192 && !$0.contains("\0") }) else {
            throw APIError.badRequest("environment: values of at most 8 KiB, without NUL")
        }
        if let overlap = Set(environment.keys).intersection(secrets.keys).first {
            throw APIError.badRequest("environment: \(overlap) is both a value and a secret")
        }
        if let directory = body.workingDirectory, !directory.hasPrefix("/") || directory.utf8.count > 4096 {
            throw APIError.badRequest("workingDirectory: an absolute path")
        }
        let timeout = body.timeoutSeconds ?? defaultTimeout, expiry = body.expiresInSeconds ?? defaultExpiry
        guard timeouts.contains(timeout) else { throw APIError.badRequest("timeoutSeconds: from 1 to 86400 (a day)") }
        guard expiries.contains(expiry) else { throw APIError.badRequest("expiresInSeconds: from 10 to 604800 (7 days)") }
        return .init(argv: body.argv, environment: environment, secretEnvironment: secrets, workingDirectory: body.workingDirectory,
                     timeoutSeconds: timeout, expiresInSeconds: expiry, createdBy: user)
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber, name.count <= 128 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
