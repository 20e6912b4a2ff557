import Foundation
import Hummingbird
import PostgresNIO
import StewardDatabase
import StewardModel

/// `/api/v1/tokens`: each user creates, lists and revokes their own tokens; admins also others'.
struct TokenRoutes {
    let runtime: NodeRuntime

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("tokens") { request, context -> [TokenInfo] in
            let identity = try context.requireIdentity()
            let everyone = request.uri.queryParameters["all"] == "true"
            if everyone, identity.role < .admin { throw APIError.forbidden("listing everyone's tokens needs the admin role") }
            return try await TokenRepository(logger: runtime.logger).list(userID: everyone ? nil : identity.user.userID, on: runtime.database)
        }
        api.post("tokens") { request, context in
            let identity = try context.requireIdentity()
            let body = try await request.decode(as: NewTokenRequest.self, context: context)
            try Self.validate(name: body.name, expiresInDays: body.expiresInDays, maxDays: Self.maxDays(runtime))
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime
            let created = try await runtime.transaction { connection in
                try await Self.create(runtime: runtime, owner: identity.user, name: body.name, expiresInDays: body.expiresInDays,
                                      source: source, on: connection)
            }
            return try AuthRoutes.json(created, status: .created)
        }
        api.delete("tokens/{id}") { request, context in
            let identity = try context.requireIdentity()
            guard let id = TokenID(try context.parameters.require("id")) else { throw APIError.badRequest("not a token id") }
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime
            try await runtime.revokingEverywhere { try await runtime.transaction { connection in
                let tokens = TokenRepository(logger: runtime.logger)
                // Someone else's token is "not found" to a non-admin: its existence is not theirs to learn.
                guard let (info, owner) = try await tokens.find(id, on: connection), owner == identity.user.userID || identity.role == .admin else {
                    throw APIError.notFound("no token \(id)")
                }
                guard let hash = try await tokens.revoke(id, on: connection) else { throw APIError.conflict("token \(id) is already revoked") }
                try await AuthRevocation.token(hash: hash).notify(on: connection, logger: runtime.logger)
                try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "token.revoke", target: "\(info.owner)/\(info.name)",
                                                              source: source, details: ["token": id.description], on: connection)
            } }
            return Response(status: .noContent)
        }
    }

    /// `maxDays` is `security.token.max.lifetime`: no token lives longer.
    static func validate(name: String, expiresInDays: Int?, maxDays: Int) throws {
        guard (1...100).contains(name.count) else { throw APIError.badRequest("a token name has 1-100 characters") }
        if let days = expiresInDays, !(1...maxDays).contains(days) {
            throw APIError.badRequest("expiresInDays must be 1-\(maxDays) (security.token.max.lifetime)")
        }
    }

    static func maxDays(_ runtime: NodeRuntime) -> Int { max(1, Int(runtime.cluster.tokenMaxLifetime.inSeconds / 86400)) }

    /// Creates a token for `owner`; the secret is returned this once and only its hash is stored.
    static func create(runtime: NodeRuntime, owner: UserRecord, name: String, expiresInDays: Int?, source: String,
                       on connection: PostgresConnection) async throws -> CreatedToken {
        let secret = SecretTokens.newAPIToken()
        let info = try await TokenRepository(logger: runtime.logger).create(
            userID: owner.userID, name: name, prefix: SecretTokens.displayPrefix(secret), hash: SecretTokens.hash(secret),
            expiresInDays: expiresInDays ?? maxDays(runtime), on: connection)
        try await AuditTrail(runtime: runtime).record(actor: owner.username, action: "token.create", target: "\(owner.username)/\(name)",
                                                      source: source, details: ["token": info.id.description], on: connection)
        return CreatedToken(info: info, secret: secret)
    }
}
