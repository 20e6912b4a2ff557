import Foundation
import StewardClient
import StewardModel
import StewardServer
import StewardTesting
import Testing

/// Every `/api/v1` route, held to the role it needs. The routes come from the node's real routers,
/// so a route added without a line here fails this test, and so does a route whose rule is wrong.
@Suite("Access control on every API route")
struct AccessControlTests {
    /// nil: anyone may call it (no credentials).
    static let expected: [String: Role?] = [
        "POST /api/v1/auth/login": nil,
        "POST /api/v1/auth/logout": .viewer,
        "GET /api/v1/auth/me": .viewer,
        "POST /api/v1/auth/password": .viewer,
        "GET /api/v1/cluster/info": .viewer,
        "GET /api/v1/cluster/summary": .viewer,
        "GET /api/v1/cluster/nodes": .viewer,
        "GET /api/v1/cluster/nodes/{node}": .viewer,
        "POST /api/v1/cluster/nodes/{node}/drain": .operator,
        "DELETE /api/v1/cluster/nodes/{node}": .operator,
        "GET /api/v1/cluster/settings": .admin,
        "GET /api/v1/cluster/settings/{key}": .admin,
        "PUT /api/v1/cluster/settings/{key}": .admin,
        "GET /api/v1/users": .admin,
        "POST /api/v1/users": .admin,
        "PATCH /api/v1/users/{username}": .admin,
        "POST /api/v1/users/{username}/password": .admin,
        "GET /api/v1/tokens": .viewer,
        "POST /api/v1/tokens": .viewer,
        "DELETE /api/v1/tokens/{id}": .viewer,
        "GET /api/v1/audit": .admin,
        "GET /api/v1/secrets": .operator,
        "GET /api/v1/secrets/{name}": .operator,
        "PUT /api/v1/secrets/{name}": .admin,
        "DELETE /api/v1/secrets/{name}": .admin,
        "POST /api/v1/secrets/{name}/verify": .admin,
        "GET /api/v1/keys": .admin,
        "POST /api/v1/keys/rotation": .admin,
        "POST /api/v1/keys/rotation/batch": .admin,
        "POST /api/v1/keys/rotation/finish": .admin,
        "POST /api/v1/keys/reseal": .admin,
        "GET /api/v1/ca": .viewer,
        "GET /api/v1/jobs": .viewer,
        "GET /api/v1/jobs/stats": .viewer,
        "GET /api/v1/jobs/{id}": .viewer,
        "POST /api/v1/jobs/{id}/cancel": .operator,
        "POST /api/v1/jobs": .admin,
        "POST /api/v1/jobs/batch": .admin,
        "GET /api/v1/schedules": .viewer,
        "GET /api/v1/schedules/{schedule}": .viewer,
        "GET /api/v1/schedules/{schedule}/firings": .viewer,
        "POST /api/v1/schedules": .admin,
        "PATCH /api/v1/schedules/{schedule}": .admin,
        "POST /api/v1/schedules/{schedule}/pause": .operator,
        "POST /api/v1/schedules/{schedule}/resume": .operator,
        "DELETE /api/v1/schedules/{schedule}": .admin,
        "GET /api/v1/license": .viewer,
        "GET /api/v1/license/usage": .viewer,
        "GET /api/v1/licenses": .viewer,
        "GET /api/v1/licenses/{id}": .viewer,
        "POST /api/v1/licenses": .admin,
        "DELETE /api/v1/licenses/{id}": .admin,
        "POST /api/v1/agents/enrollment-tokens": .operator,
        "POST /api/v1/agents/enroll": nil,
        "GET /api/v1/agents": .viewer,
        "GET /api/v1/agents/{id}": .viewer,
        "DELETE /api/v1/agents/{id}": .operator,
        "PUT /api/v1/agents/{id}/tags": .operator,
        "POST /api/v1/agents/{id}/commands": .operator,
        "GET /api/v1/agents/{id}/commands": .viewer,
        "POST /api/v1/commands": .operator,
        "GET /api/v1/commands/{id}": .viewer,
        "GET /api/v1/commands/{id}/output": .viewer,
        "POST /api/v1/commands/{id}/cancel": .operator,
        // Outside /api/v1, for Prometheus: a viewer's token (docs/operations.md).
        "GET /metrics": .viewer,
    ]

    @Test("the router's /api/v1 routes are exactly the routes in this table")
    func everyRouteListed() throws {
        let api = try RouteInventory.routes().filter { $0.path.hasPrefix("/api/v1") || $0.path == "/metrics" }.map(\.description)
        #expect(Set(api) == Set(Self.expected.keys))
        // Outside /api/v1 and /metrics only the health checks, the agent socket, the CA agents pin and the
        // console (which reads and changes nothing but through /api/v1: see consoleNeedsASession).
        let others = try RouteInventory.routes().filter { !$0.path.hasPrefix("/api/v1") && $0.path != "/metrics" && !Self.isConsole($0) }
        #expect(Set(others.map(\.description)) == ["GET /health/live", "GET /health/ready", "GET /ws/agent", "GET /agent/ca"])
    }

    static func isConsole(_ route: RouteInventory.Route) -> Bool {
        route.path == "/" || route.path == "/console" || route.path.hasPrefix("/console/")
    }

    @Test("without a session every console page leads to the login form, and every console form is refused: the console shows nothing by itself")
    func consoleNeedsASession() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let anonymous = cluster.client(node)
            let routes = try RouteInventory.routes().filter(Self.isConsole)
            #expect(routes.count > 30, "\(routes.count) console routes")
            for route in routes.sorted(by: { $0.description < $1.description }) {
                let path = route.path.replacingOccurrences(of: "{id}", with: UUID().uuidString)
                    .replacingOccurrences(of: "{node}", with: "node-a").replacingOccurrences(of: "{name}", with: "x")
                    .replacingOccurrences(of: "{username}", with: "admin")
                if route.method == "GET" {
                    let answer = try await anonymous.raw(.GET, path)
                    switch path {
                    case "/console/login": #expect(answer.status == 200 && answer.text.contains("<h1>Log in</h1>"))
                    case "/console/assets/console.css", "/console/assets/console.js": #expect(answer.status == 200)
                    case "/console/events", _ where path.hasSuffix("/events"):
                        #expect(answer.status == 200 && answer.text.contains("event: session") && !answer.text.contains("event: map"), "\(path): \(answer.text)")
                    default:
                        let location = answer.headers.first { $0.0.lowercased() == "location" }?.1 ?? ""
                        #expect(answer.status == 303 && (location.hasPrefix("/console/login") || location == "/console/"), "\(route): \(answer.status) \(location)")
                        #expect(!answer.text.contains("node-a"), "\(route) shows the cluster")
                    }
                } else {
                    let answer = try await anonymous.raw(.POST, path, body: Data("csrf=x&username=admin&password=wrong&name=t&argv=/bin/true&tag=t".utf8),
                                                         headers: [("Content-Type", "application/x-www-form-urlencoded")])
                    if path == "/console/login" {
                        #expect(answer.status == 403, "the login form without its cookie: \(answer.status)")
                        // Not a form at all: the login page says what to send, it does not fail.
                        let json = try await anonymous.raw(.POST, path, body: Data("{}".utf8), headers: [("Content-Type", "application/json")])
                        #expect(json.status == 415 && json.text.contains("application/x-www-form-urlencoded"), "\(json.status) \(json.text.prefix(200))")
                    } else {
                        let location = answer.headers.first { $0.0.lowercased() == "location" }?.1 ?? ""
                        #expect(answer.status == 303 && location.hasPrefix("/console/login"), "\(route): \(answer.status) \(location)")
                    }
                }
            }
        }
    }

    @Test("each route answers 401 without credentials, 403 below its role, and neither at or above it")
    func rolesEnforced() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            var clients: [Role: StewardClient] = [.admin: admin]
            for role in [Role.viewer, .operator] {
                _ = try await admin.createUser("\(role.rawValue)-user", password: "password-of-\(role.rawValue)", role: role)
                clients[role] = try await tokenClient(node, "\(role.rawValue)-user", "password-of-\(role.rawValue)", cluster)
            }
            let anonymous = cluster.client(node)
            for (route, required) in Self.expected.sorted(by: { $0.key < $1.key }) {
                let parts = route.split(separator: " ")
                let method = String(parts[0])
                let path = String(parts[1])
                    .replacingOccurrences(of: "{username}", with: "no-such-user")
                    .replacingOccurrences(of: "{id}", with: UUID().uuidString)
                    .replacingOccurrences(of: "{node}", with: "no-such-node")
                    .replacingOccurrences(of: "{key}", with: "no.such.key")
                    .replacingOccurrences(of: "{name}", with: "no-such-secret")
                    .replacingOccurrences(of: "{schedule}", with: "no-such-schedule")
                let unauthenticated = try await anonymous.raw(.init(rawValue: method), path, body: Data("{}".utf8))
                if let required {
                    #expect(unauthenticated.status == 401, "\(route) without credentials: \(unauthenticated.status)")
                    for role in Role.allCases {
                        // Logging out revokes the token used, so that route gets a throwaway one.
                        let client = route.hasSuffix("/auth/logout")
                            ? try await tokenClient(node, "\(role == .admin ? "admin" : "\(role.rawValue)-user")",
                                                    role == .admin ? TestCluster.adminPassword : "password-of-\(role.rawValue)", cluster)
                            : clients[role]!
                        let response = try await client.raw(.init(rawValue: method), path, body: Data("{}".utf8))
                        if role < required {
                            #expect(response.status == 403, "\(route) as \(role): \(response.status) \(response.text)")
                        } else {
                            #expect(![401, 403].contains(response.status), "\(route) as \(role): \(response.status) \(response.text)")
                        }
                    }
                } else {
                    #expect(![401, 403].contains(unauthenticated.status), "\(route) is open to anyone: \(unauthenticated.status)")
                }
            }
        }
    }

    func tokenClient(_ node: ServerProcess, _ user: String, _ password: String, _ cluster: TestCluster) async throws -> StewardClient {
        let base = cluster.client(node)
        let login = try await base.loginForToken(username: user, password: password, tokenName: "roles")
        let token = try #require(login.token?.secret)
        cluster.neverLog(token)
        return base.with(token: token)
    }
}

@Suite("docs/openapi.yaml describes the API the node serves")
struct OpenAPIDocumentTests {
    @Test("every route of the router is in the document, and every operation in the document is a route")
    func routesMatch() throws {
        let text = try String(contentsOfFile: Binaries.packageRoot + "/docs/openapi.yaml", encoding: .utf8)
        var documented: Set<String> = []
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("components:") {
                path = nil
            } else if let current = path {
                for method in ["get", "post", "patch", "put", "delete"] where line.hasPrefix("    \(method):") {
                    documented.insert("\(method.uppercased()) \(current)")
                }
            }
        }
        // The console's pages are HTML for people, documented in docs/console.md.
        let served = Set(try RouteInventory.routes().filter { !AccessControlTests.isConsole($0) }.map(\.description))
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }
}
