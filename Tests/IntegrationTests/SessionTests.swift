import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("Sessions and tokens are the cluster's, not a node's")
struct SessionTests {
    func session(_ node: ServerProcess, _ cluster: TestCluster) async throws -> StewardClient.Session {
        try await cluster.client(node).loginForSession(username: "admin", password: TestCluster.adminPassword)
    }

    @Test("a session made on node A works on node B, and still does after A is SIGKILLed")
    func sessionSurvivesNodeDeath() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let session = try await session(a, cluster)
            cluster.neverLog(session.cookie)
            let onA = cluster.client(a, session: session)
            let onB = cluster.client(b, session: session)
            #expect(try await onA.whoAmI().user.username == "admin")
            #expect(try await onB.whoAmI().authenticatedBy == "session")
            await a.kill9()
            #expect(try await onB.whoAmI().user.username == "admin")
            // A state change through B, with the session's CSRF token, works too.
            let token = try await onB.createToken(name: "after the crash")
            cluster.neverLog(token.secret)
        }
    }

    @Test("logging out on node B ends the session on node A")
    func logoutEverywhere() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let session = try await session(a, cluster)
            cluster.neverLog(session.cookie)
            #expect(try await cluster.client(a, session: session).raw(.GET, "/api/v1/auth/me").status == 200)
            try await cluster.client(b, session: session).logout()
            #expect(try await cluster.client(a, session: session).raw(.GET, "/api/v1/auth/me").status == 401)
        }
    }

    @Test("a token revoked through one node is refused by it at once, and by the others within moments")
    func revocationEverywhere() async throws {
        try await TestCluster.with { cluster in
            let nodes = try await [cluster.start("node-a"), cluster.start("node-b"), cluster.start("node-c")]
            let admin = try await cluster.adminClient(nodes[0])
            let created = try await admin.createToken(name: "deploy bot")
            cluster.neverLog(created.secret)
            for node in nodes {
                #expect(try await cluster.client(node, token: created.secret).raw(.GET, "/api/v1/auth/me").status == 200)
            }
            try await cluster.adminClient(nodes[1]).revokeToken(created.info.id)
            #expect(try await cluster.client(nodes[1], token: created.secret).raw(.GET, "/api/v1/auth/me").status == 401)
            // The others hear the same NOTIFY at once, but a loaded node's listener can lag the answer
            // (CI's parallel phase saw one 200): refused within 2 s, far inside the cache's 10 s.
            for node in [nodes[0], nodes[2]] {
                try await waitFor("\(node.name) refusing the revoked token", timeout: .seconds(2)) {
                    try await cluster.client(node, token: created.secret).raw(.GET, "/api/v1/auth/me").status == 401
                }
            }
            let listed = try await admin.tokens().first { $0.id == created.info.id }
            #expect(listed?.revokedAt != nil)
            #expect(listed?.prefix.hasPrefix("stw_") == true)
            #expect(listed?.lastUsedAt != nil)
        }
    }

    @Test("a cookie-authenticated POST without the CSRF token is refused")
    func csrfRequired() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let session = try await session(node, cluster)
            cluster.neverLog(session.cookie)
            let cookie = [("Cookie", "\(StewardClient.sessionCookie)=\(session.cookie)")]
            let body = Data(#"{"name":"csrf probe"}"#.utf8)
            let plain = cluster.client(node)
            let missing = try await plain.raw(.POST, "/api/v1/tokens", body: body, headers: cookie)
            #expect(missing.status == 403)
            #expect(missing.text.contains("X-CSRF-Token"))
            let wrong = try await plain.raw(.POST, "/api/v1/tokens", body: body, headers: cookie + [("X-CSRF-Token", "guess")])
            #expect(wrong.status == 403)
            // Reads need no CSRF token; the right token makes the write work.
            #expect(try await plain.raw(.GET, "/api/v1/tokens", headers: cookie).status == 200)
            let right = try await plain.raw(.POST, "/api/v1/tokens", body: body, headers: cookie + [("X-CSRF-Token", session.csrfToken)])
            #expect(right.status == 201)
            if let secret = try? right.decode(CreatedToken.self).secret { cluster.neverLog(secret) }
        }
    }

    @Test("the session cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/; each login gets a new id")
    func cookieAttributes() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let client = StewardClient(baseURL: node.httpsURL, trust: .insecure)
            let body = try JSONEncoder().encode(LoginRequest(username: "admin", password: TestCluster.adminPassword))
            let first = try await client.raw(.POST, "/api/v1/auth/login", body: body)
            let second = try await client.raw(.POST, "/api/v1/auth/login", body: body)
            let header = try #require(first.headers.first { $0.0.lowercased() == "set-cookie" }?.1)
            for attribute in ["__Host-steward_session=", "Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
                #expect(header.contains(attribute), "\(attribute) in \(header)")
            }
            #expect(!header.contains("Domain="))
            let ids = [first, second].compactMap { StewardClient.sessionCookieValue($0.headers) }
            ids.forEach(cluster.neverLog)
            #expect(ids.count == 2 && ids[0] != ids[1])
        }
    }

    @Test("a session ends after its idle timeout unused, is kept alive by use, and ends at its absolute limit however busy")
    func expiry() async throws {
        try await TestCluster.with { cluster in
            // Timeouts of several seconds, used every second: wide margins, because this suite
            // shares two cores with many others and a request can stall for a second or two.
            let idle: Duration = .seconds(8)
            let idleNode = try await cluster.start("node-a", extra: [
                "security.session.idle.timeout": "8s", "security.session.absolute.timeout": "1h",
            ])
            let unused = try await session(idleNode, cluster)
            cluster.neverLog(unused.cookie)
            var previousUse = ContinuousClock.now
            let used = try await session(idleNode, cluster)
            cluster.neverLog(used.cookie)
            let usedClient = cluster.client(idleNode, session: used)
            let created = ContinuousClock.now
            var aliveAfterIdle = false
            while ContinuousClock.now - created < idle * 2 {
                let requested = ContinuousClock.now
                let status = try await usedClient.raw(.GET, "/api/v1/auth/me").status
                // Use is recorded at most every idle/4, so a gap under 3/4 of the timeout must not
                // end the session (measured wide: from the start of one request to the end of the next).
                let gap = ContinuousClock.now - previousUse
                if gap < idle * 0.75 { #expect(status == 200, "a session in use stays alive past its idle timeout (gap \(gap))") }
                if status == 200, requested - created > idle { aliveAfterIdle = true }
                previousUse = requested
                try await Task.sleep(for: .seconds(1))
            }
            #expect(aliveAfterIdle, "the session in use answered after its idle timeout had passed since login")
            #expect(try await cluster.client(idleNode, session: unused).raw(.GET, "/api/v1/auth/me").status == 401)

            // Session limits are cluster settings: changed once, for every node (node-b reads it as it joins).
            _ = try await cluster.adminClient(idleNode).setClusterSetting("security.session.absolute.timeout", to: "8s")
            let strictNode = try await cluster.start("node-b")
            let busy = try await session(strictNode, cluster)
            cluster.neverLog(busy.cookie)
            let busyClient = cluster.client(strictNode, session: busy)
            var statuses: [Int] = []
            for _ in 0..<11 {
                statuses.append(try await busyClient.raw(.GET, "/api/v1/auth/me").status)
                try await Task.sleep(for: .seconds(1))
            }
            #expect(Array(statuses.prefix(3)) == [200, 200, 200], "\(statuses)")
            #expect(statuses.last == 401, "the absolute limit ends even a busy session: \(statuses)")
        }
    }
}
