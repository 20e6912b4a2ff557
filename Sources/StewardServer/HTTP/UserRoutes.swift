import Foundation
import Hummingbird
import StewardDatabase
import StewardModel

/// `/api/v1/users` (admins only): list, create, change role or disable, reset a password.
struct UserRoutes {
    let runtime: NodeRuntime
    let hasher: PasswordHasher

    func add(to api: RouterGroup<StewardRequestContext>) {
        api.get("users") { _, _ -> [UserInfo] in
            try await UserRepository(logger: runtime.logger).list(on: runtime.database).map(\.info)
        }
        api.post("users") { request, context in try await create(request, context) }
        api.patch("users/{username}") { request, context -> UserInfo in try await change(request, context) }
        api.post("users/{username}/password") { request, context in try await resetPassword(request, context) }
    }

    static func checkUsername(_ name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@"))
        guard (1...64).contains(name.count), name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            throw APIError.badRequest("a username is 1-64 of: letters, digits, '.', '_', '-', '@'")
        }
    }

    static func checkPassword(_ password: String, minimum: Int) throws {
        guard password.count >= minimum else { throw APIError.badRequest("a password needs at least \(minimum) characters") }
        guard password.utf8.count <= 72 else {
            throw APIError.badRequest("a password may have at most 72 bytes (bcrypt ignores the rest)")
        }
    }

    func create(_ request: Request, _ context: StewardRequestContext) async throws -> Response {
        let admin = try context.requireIdentity()
        let body = try await request.decode(as: NewUserRequest.self, context: context)
        try Self.checkUsername(body.username)
        try Self.checkPassword(body.password, minimum: runtime.cluster.passwordMinimumLength)
        let hash = try await hasher.hash(body.password)
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime
        let user = try await runtime.transaction { connection -> UserRecord? in
            guard let user = try await UserRepository(logger: runtime.logger).create(
                username: body.username, role: body.role, passwordHash: hash, on: connection) else { return nil }
            try await AuditTrail(runtime: runtime).record(actor: admin.username, action: "user.create", target: user.username,
                                                          source: source, details: ["role": body.role.rawValue], on: connection)
            return user
        }
        guard let user else { throw APIError.conflict("a user named \(body.username) exists already") }
        return try AuthRoutes.json(user.info, status: .created)
    }

    func change(_ request: Request, _ context: StewardRequestContext) async throws -> UserInfo {
        let admin = try context.requireIdentity()
        let name = try context.parameters.require("username")
        let body = try await request.decode(as: UserChangeRequest.self, context: context)
        guard body.role != nil || body.disabled != nil else { throw APIError.badRequest("give a role, disabled, or both") }
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime
        // Enabling alone revokes nothing (a disabled user's credentials are never cached) and cannot
        // take an admin away: one statement, with no admins' lock and no wait for a revocation.
        if body.role == nil, body.disabled == false {
            let event = AuditRepository.Event(actor: admin.username, action: "user.change", node: runtime.nodeName,
                                              sourceAddress: source, details: ["disabled": "false"])
            // In an explicit transaction: the seat is checked at COMMIT, whose refusal postgres-nio
            // reports only for a COMMIT of its own (after a lone statement's rows it is lost).
            let enabled = try await runtime.transaction { connection in
                try await UserRepository(logger: runtime.logger).enable(username: name, recording: event, on: connection)
            }
            guard let enabled else { throw APIError.notFound("no user named \(name)") }
            return enabled.info
        }
        return try await runtime.revokingEverywhere { try await runtime.transaction { connection in
            let users = UserRepository(logger: runtime.logger)
            // Serialize admin changes: "never remove the last admin" must hold across nodes.
            _ = try await connection.run("SELECT pg_advisory_xact_lock(hashtextextended('steward.users.admins', 0))", logger: runtime.logger)
            guard let user = try await users.find(username: name, on: connection) else { throw APIError.notFound("no user named \(name)") }
            let losesAdmin = user.role == .admin && !user.disabled && (body.disabled == true || (body.role.map { $0 != .admin } ?? false))
            if losesAdmin, try await users.activeAdminCount(on: connection) <= 1 {
                throw APIError.conflict("\(user.username) is the last active admin; make another admin first")
            }
            guard let updated = try await users.update(user.userID, role: body.role, disabled: body.disabled, on: connection) else {
                throw APIError.notFound("no user named \(name)")
            }
            if body.disabled == true { try await SessionRepository(logger: runtime.logger).deleteAll(userID: user.userID, on: connection) }
            try await AuthRevocation.user(user.userID).notify(on: connection, logger: runtime.logger)
            var details: [String: String] = [:]
            if let role = body.role { details["role"] = role.rawValue }
            if let disabled = body.disabled { details["disabled"] = String(disabled) }
            try await AuditTrail(runtime: runtime).record(actor: admin.username, action: "user.change", target: user.username,
                                                          source: source, details: details, on: connection)
            return updated.info
        } }
    }

    func resetPassword(_ request: Request, _ context: StewardRequestContext) async throws -> Response {
        let admin = try context.requireIdentity()
        let name = try context.parameters.require("username")
        let body = try await request.decode(as: PasswordChangeRequest.self, context: context)
        try Self.checkPassword(body.newPassword, minimum: runtime.cluster.passwordMinimumLength)
        let hash = try await hasher.hash(body.newPassword)
        let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
        let runtime = self.runtime
        try await runtime.revokingEverywhere { try await runtime.transaction { connection in
            let users = UserRepository(logger: runtime.logger)
            guard let user = try await users.find(username: name, on: connection) else { throw APIError.notFound("no user named \(name)") }
            try await users.setPassword(user.userID, passwordHash: hash, on: connection)
            // A reset password ends the user's sessions and revokes their API tokens, everywhere.
            try await SessionRepository(logger: runtime.logger).deleteAll(userID: user.userID, on: connection)
            let revoked = try await TokenRepository(logger: runtime.logger).revokeAll(userID: user.userID, on: connection)
            try await AuthRevocation.user(user.userID).notify(on: connection, logger: runtime.logger)
            try await AuditTrail(runtime: runtime).record(actor: admin.username, action: "user.password", target: user.username,
                                                          source: source, details: ["tokens revoked": String(revoked)], on: connection)
        } }
        return Response(status: .noContent)
    }
}
