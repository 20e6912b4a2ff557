import Foundation
import Hummingbird
import StewardDatabase
import StewardModel
import X509

/// `/api/v1/agents`: one-time enrollment tokens (operators), enrollment itself (an agent with such
/// a token: it sends a certificate request and gets a client certificate signed by the cluster CA,
/// its private key never leaving it), and the registry of agents (read by anyone signed in, revoked
/// by operators). Enrolling takes an agent seat and revoking frees it (docs/licenses.md).
struct AgentRoutes {
    let runtime: NodeRuntime

    static let tokenPrefix = "stw_enroll_"
    static let defaultTokenLifetime = 3600
    static let tokenLifetimes = 60...(7 * 86400)
    /// Agents renew over the channel 30 days before the end (agent.certificate.renew.before).
    static let certificateValidity: TimeInterval = 90 * 86400

    var agents: AgentRepository { AgentRepository(logger: runtime.logger) }

    /// Enrollment, on the HTTPS port and on the agent port (where the node's certificate is from the
    /// cluster CA, so a new agent can check it against the pin alone).
    func addEnrollment(to api: RouterGroup<StewardRequestContext>) {
        api.post("agents/enroll") { request, context -> Response in
            let body = try await request.decode(as: EnrollRequest.self, context: context)
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            return try AuthRoutes.json(try await enroll(body, source: source), status: .created)
        }
    }

    /// The cluster CA certificates agents trust, on the agent port: public, like any CA certificate,
    /// and checked by a new agent against its pin before it sends anything.
    func addAuthority(to router: Router<StewardRequestContext>) {
        router.get("agent/ca") { _, _ -> Response in
            let pem = runtime.keys.keystore.authorities.filter { $0.state != .retired }.map(\.certificatePEM).joined()
            return Response(status: .ok, headers: [.contentType: "application/x-pem-file"], body: .init(byteBuffer: .init(string: pem)))
        }
    }

    func add(to api: RouterGroup<StewardRequestContext>) {
        addEnrollment(to: api)
        api.post("agents/enrollment-tokens") { request, context -> Response in
            let identity = try context.requireIdentity()
            let body = try await request.decode(as: EnrollmentTokenRequest.self, context: context)
            let ttl = body.ttlSeconds ?? Self.defaultTokenLifetime
            guard Self.tokenLifetimes.contains(ttl) else { throw APIError.badRequest("ttlSeconds: from 60 (a minute) to 604800 (7 days)") }
            guard let authority = runtime.keys.keystore.activeAuthority else { throw Self.noAuthority }
            let token = Self.tokenPrefix + SecretTokens.random()
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime, agents = self.agents
            let expires = try await runtime.transaction { connection in
                let expires = try await agents.createEnrollmentToken(hash: SecretTokens.hash(token), by: identity.username, ttlSeconds: ttl, on: connection)
                try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "agent.enroll-token", source: source,
                                                              details: ["ttl seconds": String(ttl)], on: connection)
                return expires
            }
            return try AuthRoutes.json(EnrollmentToken(token: token, expiresAt: expires, caPin: authority.pin), status: .created)
        }
        api.get("agents") { request, _ -> [AgentInfo] in
            let query = request.uri.queryParameters
            let state = query["state"].map(String.init)
            if let state, !["online", "offline", "revoked"].contains(state) { throw APIError.badRequest("state: online, offline or revoked") }
            return try await agents.list(tag: query["tag"].map(String.init), state: state, on: runtime.database)
        }
        api.get("agents/{id}") { _, context -> AgentInfo in
            let id = try Self.agentID(context)
            guard let agent = try await agents.find(id, on: runtime.database) else { throw APIError.notFound("no agent \(id)") }
            return agent
        }
        api.put("agents/{id}/tags") { request, context -> AgentInfo in
            let identity = try context.requireIdentity()
            let id = try Self.agentID(context)
            let body = try await request.decode(as: AgentTagsRequest.self, context: context)
            guard body.tags.count <= 32 else { throw APIError.badRequest("tags: at most 32") }
            for tag in body.tags where !EnrollmentChecks.isTag(tag) {
                throw APIError.badRequest("tags: '\(tag.prefix(64))' is not 1 to 64 letters, digits, '.', '_', '-' or ':'")
            }
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime, agents = self.agents
            return try await runtime.transaction { connection in
                guard let agent = try await agents.setTags(id, tags: body.tags, on: connection) else { throw APIError.notFound("no agent \(id)") }
                try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "agent.tag", target: id.uuidString.lowercased(),
                                                              source: source, details: ["tags": body.tags.joined(separator: ",")], on: connection)
                return agent
            }
        }
        api.delete("agents/{id}") { request, context -> AgentInfo in
            let identity = try context.requireIdentity()
            let id = try Self.agentID(context)
            let source = context.clientAddress(request, trusted: runtime.configuration.trustedProxies)
            let runtime = self.runtime, agents = self.agents
            return try await runtime.transaction { connection in
                guard let agent = try await agents.revoke(id, on: connection) else { throw APIError.notFound("no agent \(id)") }
                // Whichever node holds its channel closes it at COMMIT; every node refuses it from then on.
                try await connection.run("SELECT pg_notify(\(AgentCommandRepository.channel), \("revoked:" + id.uuidString.lowercased()))",
                                         logger: runtime.logger)
                try await AuditTrail(runtime: runtime).record(actor: identity.username, action: "agent.revoke", target: id.uuidString.lowercased(),
                                                              source: source, details: ["name": agent.name], on: connection)
                return agent
            }
        }
    }

    static let noAuthority = APIError(status: .serviceUnavailable, message: "the cluster has no active CA to sign agent certificates (see docs/keys.md)")

    static func agentID(_ context: StewardRequestContext) throws -> UUID {
        let text = try context.parameters.require("id")
        guard let id = UUID(uuidString: text) else { throw APIError.badRequest("an agent id is a UUID") }
        return id
    }

    /// Checks the token and the request, signs the certificate, and stores the agent, in one
    /// transaction: a refused seat leaves the token unused and no agent behind.
    func enroll(_ body: EnrollRequest, source: String?) async throws -> Enrollment {
        try EnrollmentChecks.check(body)
        guard body.token.hasPrefix(Self.tokenPrefix) else {
            if body.token.hasPrefix(SecretTokens.apiTokenPrefix) {
                throw APIError.forbidden("that is an API token, not an enrollment token: create one with `stewardctl agents enroll-token create`")
            }
            throw APIError.forbidden("unknown enrollment token")
        }
        let csr: CertificateSigningRequest
        do {
            csr = try CertificateSigningRequest(pemEncoded: body.csr)
        } catch {
            throw APIError.badRequest("csr: not a PEM certificate signing request")
        }
        guard let authority = runtime.keys.keystore.activeAuthority else { throw Self.noAuthority }
        let id = UUID()
        let certificate: Certificate
        do {
            certificate = try authority.sign(csr, commonName: id.uuidString.lowercased(), validity: Self.certificateValidity)
        } catch {
            throw APIError.badRequest("csr: \(error)")
        }
        let certificatePEM = try certificate.serializeAsPEM().pemString
        let runtime = self.runtime, agents = self.agents
        let agent = try await runtime.transaction { connection in
            switch try await agents.useEnrollmentToken(hash: SecretTokens.hash(body.token), agentID: id, on: connection) {
            case .unknown: throw APIError.forbidden("unknown enrollment token")
            case .alreadyUsed: throw APIError.forbidden("this enrollment token has been used already: each enrolls one agent; create another")
            case .expired: throw APIError.forbidden("this enrollment token has expired; create another")
            case .accepted(let createdBy):
                let agent = try await agents.insert(.init(id: id, request: body, certificateSerial: certificate.serialNumber.description,
                                                          certificateExpiresAt: certificate.notValidAfter, enrolledBy: createdBy), on: connection)
                try await AuditTrail(runtime: runtime).record(actor: createdBy, action: "agent.enroll", target: id.uuidString.lowercased(), source: source,
                                                              details: ["name": body.name, "hostname": body.hostname], on: connection)
                return agent
            }
        }
        runtime.logger.notice("agent \(agent.name) (\(agent.id.uuidString.lowercased())) enrolled from \(source ?? "?")")
        return Enrollment(agent: agent, certificatePEM: certificatePEM, caCertificatePEM: authority.certificatePEM, caPin: authority.pin)
    }
}

/// The fields of an enrollment request, checked at the edge.
enum EnrollmentChecks {
    static func check(_ body: EnrollRequest) throws {
        guard body.csr.utf8.count <= 8192 else { throw APIError.badRequest("csr: at most 8 KiB") }
        for (field, value) in [("name", body.name), ("hostname", body.hostname), ("os", body.os), ("architecture", body.architecture),
                               ("agentVersion", body.agentVersion)] {
            guard (1...255).contains(value.count), value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7f }) else {
                throw APIError.badRequest("\(field): 1 to 255 printable ASCII characters")
            }
        }
        let tags = body.tags ?? []
        guard tags.count <= 32 else { throw APIError.badRequest("tags: at most 32") }
        for tag in tags where !isTag(tag) { throw APIError.badRequest("tags: '\(tag)' is not 1 to 64 letters, digits, '.', '_', '-' or ':'") }
    }

    static func isTag(_ tag: String) -> Bool {
        (1...64).contains(tag.count) && tag.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-:".contains($0)) }
    }
}
