import Crypto
import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing
import X509

/// A new agent's side of enrollment: a key pair made here, only the certificate request sent.
struct TestAgentKey {
    let key = P256.Signing.PrivateKey()

    func request(token: String, name: String, tags: [String] = []) throws -> EnrollRequest {
        let csr = try CertificateSigningRequest(version: .v1, subject: try DistinguishedName { CommonName(name) }, privateKey: .init(key),
                                                attributes: .init(), signatureAlgorithm: .ecdsaWithSHA256)
        return EnrollRequest(token: token, csr: try csr.serializeAsPEM().pemString, name: name, hostname: "\(name).example.test",
                             os: "linux", architecture: "x86_64", agentVersion: "0.1.0", tags: tags)
    }
}

@Suite("Agent enrollment: one-time tokens, certificates from the cluster CA, agent seats counted exactly")
struct EnrollmentTests {
    @Test("10 agent seats: 30 concurrent enrollments over three nodes end with exactly 10 agents; revoking one frees exactly one seat")
    func exactAgentSeats() async throws {
        try await TestCluster.with { cluster in
            let issuer = try TestIssuer(trustedBy: cluster)
            let nodes = [try await cluster.start("node-a"), try await cluster.start("node-b"), try await cluster.start("node-c")]
            let admin = try await cluster.adminClient(nodes[0])
            _ = try await admin.addLicense(try issuer.license("ten-agents", users: 5, agents: 10))
            var tokens: [String] = []
            for _ in 0..<30 { tokens.append(try await admin.createEnrollmentToken().token) }
            let anonymous = nodes.map { cluster.client($0) }
            let requests = try tokens.enumerated().map { index, token in try TestAgentKey().request(token: token, name: "agent-\(index)") }

            let outcomes = await withTaskGroup(of: (index: Int, enrollment: Enrollment?, refusal: ClientError?).self) { group in
                for (index, request) in requests.enumerated() {
                    group.addTask {
                        do {
                            return (index, try await anonymous[index % 3].enroll(request), nil)
                        } catch let error as ClientError {
                            return (index, nil, error)
                        } catch {
                            return (index, nil, ClientError(status: 0, message: "\(error)"))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let enrolled = outcomes.compactMap(\.enrollment)
            let refused = outcomes.filter { $0.enrollment == nil }
            #expect(enrolled.count == 10, "\(refused.map { $0.refusal?.message ?? "" })")
            for outcome in refused {
                #expect(outcome.refusal?.status == 409 && outcome.refusal?.message.contains("no agent seat is free: 10 of 10 licensed agent seats are in use") == true,
                        "\(String(describing: outcome.refusal))")
            }
            for client in anonymous {
                let listed = try await client.with(token: admin.token).agents()
                #expect(Set(listed.map(\.id)) == Set(enrolled.map(\.agent.id)), "every node lists the same ten agents")
            }
            #expect(try await admin.licenseSummary().seats.first { $0.kind == "agent" }?.inUse == 10)

            // The certificate: signed by the cluster CA, for the agent's id, for client authentication.
            let first = try #require(enrolled.first)
            let certificate = try Certificate(pemEncoded: first.certificatePEM)
            let authority = try Certificate(pemEncoded: first.caCertificatePEM)
            #expect(authority.publicKey.isValidSignature(certificate.signature, for: certificate))
            #expect(certificate.subject.description.contains(first.agent.id.uuidString.lowercased()))
            #expect(try certificate.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
            let activePin = try await admin.authorities().first { $0.state == "active" }?.pin
            #expect(first.caPin.hasPrefix("sha256:") && first.caPin == activePin)

            // Revoking frees exactly one seat; a refused enrollment left its token unused, so it can enroll now.
            let revoked = try await cluster.client(nodes[1], token: admin.token).revokeAgent(first.agent.id)
            #expect(revoked.state == "revoked" && revoked.revokedAt != nil)
            #expect(try await admin.licenseSummary().seats.first { $0.kind == "agent" }?.inUse == 9)
            let retried = try #require(refused.first)
            let again = try await anonymous[2].enroll(requests[retried.index])
            #expect(again.agent.name == "agent-\(retried.index)")
            let full = try #require(refused.dropFirst().first)
            let refusedAgain = await refusal { try await anonymous[0].enroll(requests[full.index]) }
            #expect(refusedAgain?.status == 409, "\(String(describing: refusedAgain))")
            #expect(try await admin.agents(state: "revoked").map(\.id) == [first.agent.id], "a revoked agent stays listed")
        }
    }

    @Test("replayed, expired, unknown and API tokens are refused, each saying why; plain HTTP is refused; a bad request names its field")
    func refusedTokens() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            let anonymous = cluster.client(node)
            let key = TestAgentKey()

            let token = try await admin.createEnrollmentToken(ttlSeconds: 600)
            #expect(token.token.hasPrefix("stw_enroll_") && token.expiresAt > Date().addingTimeInterval(500))
            _ = try await anonymous.enroll(try key.request(token: token.token, name: "first"))
            let replay = await refusal { try await anonymous.enroll(try key.request(token: token.token, name: "second")) }
            #expect(replay?.status == 403 && replay?.message.contains("has been used already") == true, "\(String(describing: replay))")

            // Expired: its expiry moved into the past in the database (no clock is changed).
            let stale = try await admin.createEnrollmentToken()
            try await cluster.database.execute("UPDATE agent_enrollment_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
            let expired = await refusal { try await anonymous.enroll(try key.request(token: stale.token, name: "late")) }
            #expect(expired?.status == 403 && expired?.message.contains("has expired") == true, "\(String(describing: expired))")

            let unknown = await refusal { try await anonymous.enroll(try key.request(token: "stw_enroll_" + String(repeating: "x", count: 43), name: "x")) }
            #expect(unknown?.status == 403 && unknown?.message.contains("unknown enrollment token") == true)
            let apiToken = try #require(admin.token)
            let wrongKind = await refusal { try await anonymous.enroll(try key.request(token: apiToken, name: "x")) }
            #expect(wrongKind?.status == 403 && wrongKind?.message.contains("an API token, not an enrollment token") == true)
            #expect(!(wrongKind?.message.contains(apiToken) ?? true), "the token is not echoed")

            let fresh = try await admin.createEnrollmentToken()
            var badCSR = try key.request(token: fresh.token, name: "x")
            badCSR.csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
            let bad = await refusal { try await anonymous.enroll(badCSR) }
            #expect(bad?.status == 400 && bad?.message.contains("csr:") == true, "\(String(describing: bad))")
            let badTag = await refusal { try await anonymous.enroll(try key.request(token: fresh.token, name: "x", tags: ["no spaces"])) }
            #expect(badTag?.status == 400 && badTag?.message.contains("tags:") == true)
            let plain = await refusal { try await StewardClient(baseURL: node.httpURL).enroll(try key.request(token: fresh.token, name: "x")) }
            #expect(plain?.status == 403 && plain?.message.contains("credentials are not accepted over plain HTTP") == true, "\(String(describing: plain))")
            let shortTTL = await refusal { try await admin.createEnrollmentToken(ttlSeconds: 5) }
            #expect(shortTTL?.status == 400)
            // The refusals above used nothing up: the fresh token still enrolls.
            #expect(try await anonymous.enroll(try key.request(token: fresh.token, name: "fresh", tags: ["web", "eu-1"])).agent.tags == ["web", "eu-1"])
            #expect(try await admin.agents(tag: "web").map(\.name) == ["fresh"])
            let trail = try await admin.audit(limit: 50).filter { $0.action.hasPrefix("agent.") }.map(\.action)
            #expect(trail.filter { $0 == "agent.enroll" }.count == 2 && trail.filter { $0 == "agent.enroll-token" }.count == 3, "\(trail)")
        }
    }

    @Test("stewardctl agents: enroll-token create shows the token once with the CA pin; list, get, revoke")
    func stewardctlAgents() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let ctl = try await StewardctlJobsTests.ctl(cluster, node)
            let created = try await ctl(["agents", "enroll-token", "create", "--ttl", "30m"])
            #expect(created.status == 0 && created.output.contains("CA pin: sha256:"), "\(created.output)")
            let token = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("stw_enroll_") }.map(String.init))
            let enrollment = try await cluster.client(node).enroll(try TestAgentKey().request(token: token, name: "web-1", tags: ["web"]))
            let id = enrollment.agent.id.uuidString.lowercased()
            let list = try await ctl(["agents", "list", "--tag", "web"])
            #expect(list.status == 0 && list.output.contains(id) && list.output.contains("web-1.example.test") && list.output.contains("offline"), "\(list.output)")
            let get = try await ctl(["agents", "get", id])
            #expect(get.output.contains("linux x86_64"), "\(get.output)")
            let revoke = try await ctl(["agents", "revoke", id])
            #expect(revoke.status == 0 && revoke.output.contains("revoked"), "\(revoke.output)")
            let listed = try StewardctlJobsTests.decode([AgentInfo].self, try await ctl(["agents", "list", "--json", "--state", "revoked"]))
            #expect(listed.map(\.id) == [enrollment.agent.id])
            #expect(try await ctl(["agents", "enroll-token", "create", "--ttl", "soon"]).status == 1)
        }
    }
}
