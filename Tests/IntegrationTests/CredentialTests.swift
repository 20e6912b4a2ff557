import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// Credentials across the cluster: checked once and cached, forgotten everywhere the moment they
/// are revoked, ended by a password change, limited in lifetime, and a current-password check
/// throttled like a login.
@Suite("Credentials: cached, revoked everywhere at once, ended by password changes, limited in lifetime")
struct CredentialTests {
    @Test("a token revoked through node A is refused by node B at once, though B had just checked (and cached) it")
    func revocationReachesEveryCache() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            let created = try await admin.createToken(name: "short-lived")
            cluster.neverLog(created.secret)
            let onB = cluster.client(b, token: created.secret)
            #expect(try await onB.raw(.GET, "/api/v1/auth/me").status == 200)
            #expect(try await onB.raw(.GET, "/api/v1/auth/me").status == 200, "served from B's cache")
            try await admin.revokeToken(created.info.id)
            let revoked = ContinuousClock.now
            try await waitFor("node-b to refuse the revoked token", timeout: .seconds(9)) {
                try await onB.raw(.GET, "/api/v1/auth/me").status == 401
            }
            // The cache keeps an entry ten seconds: refused well before that means NOTIFY ended it.
            #expect(ContinuousClock.now - revoked < .seconds(8), "NOTIFY, not the cache's lifetime, ended it")
        }
    }

    @Test("changing one's password ends the user's other sessions on every node but this one; an admin reset also revokes the user's tokens")
    func passwordChangesEndCredentials() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let admin = try await cluster.adminClient(a)
            _ = try await admin.createUser("olivia", password: "olivia-password-1", role: .operator)
            let here = try await cluster.client(a).loginForSession(username: "olivia", password: "olivia-password-1")
            let elsewhere = try await cluster.client(b).loginForSession(username: "olivia", password: "olivia-password-1")
            let token = try #require(try await cluster.client(b).loginForToken(username: "olivia", password: "olivia-password-1", tokenName: "o").token?.secret)
            for secret in [here.cookie, elsewhere.cookie, token] { cluster.neverLog(secret) }
            #expect(try await cluster.client(b, session: elsewhere).raw(.GET, "/api/v1/auth/me").status == 200)
            try await cluster.client(a, session: here).changePassword(current: "olivia-password-1", new: "olivia-password-2")
            #expect(try await cluster.client(a, session: here).raw(.GET, "/api/v1/auth/me").status == 200, "the session that changed it lives on")
            try await waitFor("the other session to end", timeout: .seconds(3)) {
                try await cluster.client(b, session: elsewhere).raw(.GET, "/api/v1/auth/me").status == 401
            }
            #expect(try await cluster.client(b, token: token).raw(.GET, "/api/v1/auth/me").status == 200, "her own change keeps her tokens")
            try await admin.resetPassword("olivia", to: "olivia-password-3")
            try await waitFor("the reset to end her token and session", timeout: .seconds(3)) {
                let tokenStatus = try await cluster.client(b, token: token).raw(.GET, "/api/v1/auth/me").status
                let sessionStatus = try await cluster.client(a, session: here).raw(.GET, "/api/v1/auth/me").status
                return tokenStatus == 401 && sessionStatus == 401
            }
            #expect(try await admin.audit(action: "user.password").first?.details["tokens revoked"] == "1")
        }
    }

    @Test("a current-password check is throttled like a login: the sixth wrong guess through a session is refused")
    func currentPasswordThrottled() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let session = try await cluster.client(node).loginForSession(username: "admin", password: TestCluster.adminPassword)
            cluster.neverLog(session.cookie)
            let client = cluster.client(node, session: session)
            var statuses: [Int] = []
            var last = ""
            for index in 0..<6 {
                let body = try JSONEncoder().encode(PasswordChangeRequest(currentPassword: "guess-\(index)", newPassword: "a-new-password-1"))
                let answer = try await client.raw(.POST, "/api/v1/auth/password", body: body,
                                                  headers: [("Content-Type", "application/json")])
                statuses.append(answer.status)
                last = answer.text
            }
            #expect(statuses == [403, 403, 403, 403, 403, 429], "\(statuses) \(last)")
        }
    }

    @Test("tokens live at most security.token.max.lifetime: longer requests are refused, none is unlimited, and an old one stops working")
    func tokenLifetime() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            _ = try await admin.setClusterSetting("security.token.max.lifetime", to: "30d")
            try await waitFor("the node to apply the setting", timeout: .seconds(5)) { node.output.contains("security.token.max.lifetime=30d") }
            await #expect { _ = try await admin.createToken(name: "too long", expiresInDays: 31) } throws: {
                "\($0)".contains("expiresInDays must be 1-30 (security.token.max.lifetime)")
            }
            let unlimited = try await admin.createToken(name: "no expiry asked")
            cluster.neverLog(unlimited.secret)
            let expires = try #require(unlimited.info.expiresAt)
            #expect(abs(expires.timeIntervalSinceNow - 30 * 86400) < 120)
            // A token made before the limit was lowered, 40 days ago: refused now.
            let old = try await admin.createToken(name: "old")
            cluster.neverLog(old.secret)
            try await cluster.database.execute("UPDATE api_tokens SET created_at = now() - interval '40 days', expires_at = NULL WHERE name = 'old'")
            #expect(try await cluster.client(node, token: old.secret).raw(.GET, "/api/v1/auth/me").status == 401)
        }
    }

    @Test("stewardctl keeps the device token a login returns, and with it logs in from an address a flood has locked")
    func stewardctlKeepsItsDevice() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let config = cluster.folder.file("stewardctl.json")
            let environment = ["STEWARD_CONFIG": config, "STEWARD_URL": node.httpsURL, "STEWARD_CA_FILE": cluster.caFile]
            struct Saved: Decodable { let token: String?; let devices: [String: String]? }
            func login() async throws -> Shell.Output {
                let output = try await Binaries.stewardctl(["login", "--username", "admin", "--password-stdin"], environment: environment,
                                                           input: TestCluster.adminPassword + "\n")
                let saved = try JSONDecoder().decode(Saved.self, from: Data(contentsOf: URL(fileURLWithPath: config)))
                for secret in [saved.token].compactMap({ $0 }) + Array((saved.devices ?? [:]).values) { cluster.neverLog(secret) }
                return output
            }
            #expect(try await login().status == 0)
            let saved = try JSONDecoder().decode(Saved.self, from: Data(contentsOf: URL(fileURLWithPath: config)))
            #expect(saved.devices?["admin@\(node.httpsURL)"] != nil)
            // Someone on this machine's address guesses admin's password six times: the address is locked for admin.
            for index in 0..<6 {
                _ = try await cluster.client(node).raw(.POST, "/api/v1/auth/login",
                                                       body: try JSONEncoder().encode(LoginRequest(username: "admin", password: "guess-\(index)")))
            }
            let locked = try await cluster.client(node).raw(.POST, "/api/v1/auth/login",
                                                             body: try JSONEncoder().encode(LoginRequest(username: "admin", password: TestCluster.adminPassword)))
            #expect(locked.status == 429)
            let again = try await login()
            #expect(again.status == 0, "stewardctl's device gets in: \(again.output)")
        }
    }
}
