import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("Users, tokens and audit through stewardctl")
struct StewardctlIdentityTests {
    @Test("without STEWARD_ADMIN_PASSWORD the first admin's password goes to a 0600 file whose path is logged")
    func generatedAdminPassword() async throws {
        try await TestCluster.with { cluster in
            let node = try cluster.launch("node-a", adminPassword: false)
            try await node.waitUntilLive()
            let file = cluster.appData + "/conf/initial-admin.password"
            let password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            cluster.neverLog(password)
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode == 0o600)
            #expect(node.output.contains("its password is in \(file)"))
            let login = try await cluster.client(node).loginForToken(username: "admin", password: password, tokenName: "t")
            #expect(login.user.role == .admin)
            cluster.neverLog(login.token?.secret ?? "")
            // A second node does not make another admin or touch the file.
            let before = try String(contentsOfFile: file, encoding: .utf8)
            _ = try await cluster.start("node-b", adminPassword: false)
            #expect(try String(contentsOfFile: file, encoding: .utf8) == before)
        }
    }

    @Test("login, users, roles, disable, tokens, audit and logout, as an operator would use them")
    func operatorWorkflow() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let config = cluster.folder.file("stewardctl.json")
            let environment = ["STEWARD_CONFIG": config, "STEWARD_URL": node.httpsURL]
            func ctl(_ arguments: [String], input: String? = nil) async throws -> Shell.Output {
                try await Binaries.stewardctl(arguments, environment: environment, input: input)
            }

            let login = try await ctl(["login", "--username", "admin", "--password-stdin", "--insecure"], input: TestCluster.adminPassword + "\n")
            #expect(login.status == 0, "\(login.output)")
            struct Saved: Decodable { let token: String?; let url: String? }
            let saved = try JSONDecoder().decode(Saved.self, from: Data(contentsOf: URL(fileURLWithPath: config)))
            let adminToken = try #require(saved.token)
            #expect(saved.url == node.httpsURL)
            cluster.neverLog(adminToken)
            #expect(try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int == 0o600)

            let created = try await ctl(["users", "create", "olivia", "--role", "operator", "--password-stdin"], input: "olivia-password-1\n")
            #expect(created.status == 0, "\(created.output)")
            let listed = try await ctl(["users", "list", "--json"])
            let users = try JSONDecoder.iso.decode([UserInfo].self, from: Data(listed.output.utf8))
            #expect(users.map(\.username).sorted() == ["admin", "olivia"])
            #expect(try await ctl(["users", "set-role", "olivia", "viewer"]).output.contains("viewer"))

            let oliviaToken = try #require(try await cluster.client(node)
                .loginForToken(username: "olivia", password: "olivia-password-1", tokenName: "o").token?.secret)
            cluster.neverLog(oliviaToken)
            #expect(try await cluster.client(node, token: oliviaToken).raw(.GET, "/api/v1/auth/me").status == 200)
            #expect(try await ctl(["users", "disable", "olivia"]).status == 0)
            #expect(try await cluster.client(node, token: oliviaToken).raw(.GET, "/api/v1/auth/me").status == 401)

            let lastAdmin = try await ctl(["users", "set-role", "admin", "viewer"])
            #expect(lastAdmin.status == 1)
            #expect(lastAdmin.output.contains("last active admin"), "\(lastAdmin.output)")

            let token = try await ctl(["tokens", "create", "ci pipeline", "--expires-in-days", "30", "--json"])
            let ci = try JSONDecoder.iso.decode(CreatedToken.self, from: Data(token.output.utf8))
            cluster.neverLog(ci.secret)
            #expect(ci.secret.hasPrefix("stw_"))
            let tokens = try await ctl(["tokens", "list"])
            #expect(tokens.output.contains("ci pipeline") && tokens.output.contains(ci.info.prefix))
            #expect(!tokens.output.contains(ci.secret))
            #expect(try await ctl(["tokens", "revoke", ci.info.id.description]).status == 0)

            let audit = try await ctl(["audit", "list", "--json", "--limit", "100"])
            let actions = Set(try JSONDecoder.iso.decode([AuditEntry].self, from: Data(audit.output.utf8)).map(\.action))
            #expect(actions.isSuperset(of: ["login", "user.create", "user.change", "token.create", "token.revoke"]), "\(actions)")

            #expect(try await ctl(["logout"]).status == 0)
            let after = try await ctl(["cluster", "info"])
            #expect(after.status == 4, "\(after.output)")
            #expect(try await cluster.client(node, token: adminToken).raw(.GET, "/api/v1/auth/me").status == 401)
        }
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
