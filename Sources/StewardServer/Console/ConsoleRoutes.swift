import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StewardModel

/// The web console under `/console`: server-rendered pages that work without script, whose data
/// all comes from `/api/v1` (see `ConsoleAPI`). Sessions are the API's database sessions, so any
/// node serves any page and losing a node logs nobody out. Forms carry the session's CSRF token,
/// which the API itself checks; the login form carries its own, bound to a `__Host-` cookie.
struct ConsoleRoutes {
    typealias Context = StewardRequestContext
    let runtime: NodeRuntime
    let api: ConsoleAPI

    /// No inline script or style, nothing from another origin, no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    static let loginCookie = "__Host-steward_login"

    func add(to router: Router<Context>) {
        router.get("/") { _, _ in Self.redirect("/console/") }
        let console = router.group("console")
        console.get("assets/console.css") { _, _ in Self.asset(ConsoleAssets.stylesheet, type: "text/css; charset=utf-8") }
        console.get("assets/console.js") { _, _ in Self.asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8") }
        console.get("login") { request, context in try await loginPage(request, context) }
        console.post("login") { request, context in try await login(request, context) }
        console.post("logout") { request, context in try await logout(request, context) }
        addSystem(to: console)
        addAgents(to: console)
        addJobs(to: console)
        addPeople(to: console)
        ConsoleEvents(runtime: runtime, api: api, pages: self).add(to: console)
    }

    // MARK: - Pages

    /// Who is looking, from `GET /api/v1/auth/me`.
    struct Viewer {
        let me: WhoAmI
        var username: String { me.user.username }
        var role: Role { me.user.role }
        var csrf: String { me.csrfToken ?? "" }
        func atLeast(_ role: Role) -> Bool { self.role >= role }
    }

    struct Content {
        var template: String
        var data: [String: Any]
        var status: HTTPResponse.Status = .ok
        var notice: String?
    }

    static let sections: [(label: String, href: String, role: Role)] = [
        ("System", "/console/", .viewer), ("Nodes", "/console/nodes", .viewer), ("Agents", "/console/agents", .viewer),
        ("Jobs", "/console/jobs", .viewer), ("Schedules", "/console/schedules", .viewer), ("Licenses", "/console/licenses", .viewer),
        ("Users", "/console/users", .admin), ("Audit", "/console/audit", .admin), ("Account", "/console/account", .viewer),
    ]

    func viewer(_ request: Request, _ context: Context) async throws -> Viewer {
        Viewer(me: try await api.get(WhoAmI.self, "/api/v1/auth/me", request, context))
    }

    /// A page for a signed-in user: a refusal of the API becomes the page's error, a lost session a
    /// trip to the login form that comes back here.
    func page(_ request: Request, _ context: Context, title: String, section: String, live: String? = nil, liveQuery: String = "",
              _ build: (Viewer) async throws -> Content) async throws -> Response {
        let viewer: Viewer
        do {
            viewer = try await self.viewer(request, context)
        } catch let refusal as ConsoleAPI.Refusal where refusal.status == .unauthorized {
            return Self.redirect("/console/login?next=" + APIPath.segment(request.uri.description))
        }
        do {
            var content = try await build(viewer)
            if content.notice == nil, let code = request.uri.queryParameters["notice"] { content.notice = Self.notices[String(code)] }
            return render(content, title: title, section: section, viewer: viewer, live: live, liveQuery: liveQuery)
        } catch let refusal as ConsoleAPI.Refusal {
            if refusal.status == .unauthorized { return Self.redirect("/console/login") }
            return render(Content(template: "message", data: ["message": Self.explain(refusal)], status: refusal.status),
                          title: title, section: section, viewer: viewer)
        }
    }

    func render(_ content: Content, title: String, section: String, viewer: Viewer?, live: String? = nil, liveQuery: String = "",
                error: String? = nil) -> Response {
        var data = content.data
        data["csrf"] = viewer?.csrf ?? ""
        let body = ConsoleTemplates.render(content.template, data)
        var layout: [String: Any] = [
            "title": title, "content": body, "servedBy": runtime.nodeName, "live": live ?? "", "liveQuery": liveQuery,
            "csrf": viewer?.csrf ?? "",
        ]
        if let viewer {
            layout["user"] = true
            layout["username"] = viewer.username
            layout["navigation"] = Self.sections.filter { viewer.atLeast($0.role) }.map {
                ["label": $0.label, "href": $0.href, "current": $0.label == section] as [String: Any]
            }
        }
        if let error { layout["error"] = error }
        if let notice = content.notice { layout["notice"] = notice }
        return Self.html(ConsoleTemplates.render("layout", layout), status: content.status)
    }

    /// A state change from a form: the form's CSRF token goes to the API, which checks it. Success
    /// redirects (so a reload does not post again); a refusal shows the API's reason.
    func action(_ request: Request, _ context: Context, title: String, section: String,
                _ perform: (ConsoleForm, Viewer) async throws -> Response) async throws -> Response {
        let viewer: Viewer
        do {
            viewer = try await self.viewer(request, context)
        } catch let refusal as ConsoleAPI.Refusal where refusal.status == .unauthorized {
            return Self.redirect("/console/login")
        }
        do {
            let form = try await ConsoleForm.read(request, context)
            return try await perform(form, viewer)
        } catch let refusal as ConsoleAPI.Refusal {
            return render(Content(template: "message", data: ["message": Self.explain(refusal)], status: refusal.status),
                          title: title, section: section, viewer: viewer)
        }
    }

    /// A filter's `<option>`s: the empty value reads "any".
    static func options(_ values: [String], selected: String) -> [[String: Any]] {
        values.map { ["value": $0, "label": $0.isEmpty ? "any" : $0, "selected": $0 == selected] }
    }

    static func explain(_ refusal: ConsoleAPI.Refusal) -> String {
        switch refusal.status {
        case .forbidden where refusal.message.contains("CSRF"):
            return "This form has expired or did not come from this console (its security token is missing or wrong). Reload the page and try again."
        case .forbidden: return "Not allowed: \(refusal.message)."
        case .notFound: return "Not found: \(refusal.message)."
        default: return refusal.message + "."
        }
    }

    static let notices: [String: String] = [
        "drained": "Drain requested: the node finishes its work and stops taking more.",
        "decommissioned": "The node is decommissioned.",
        "revoked": "The agent is revoked: its connection is closed and refused on every node.",
        "tags": "Tags saved.", "cancelled": "Cancel requested.", "user-created": "User created.", "user-changed": "User saved.",
        "token-revoked": "Token revoked.", "password": "Password changed; your other sessions are signed out.",
    ]

    // MARK: - Login

    /// `next` is where to go after logging in: from the link's query, or kept from the form posted.
    func loginPage(_ request: Request, _ context: Context, error: String? = nil, username: String = "", next posted: String? = nil,
                   status: HTTPResponse.Status = .ok) async throws -> Response {
        let next = Self.safeNext(posted ?? request.uri.queryParameters["next"].map(String.init))
        if error == nil, (try? await viewer(request, context)) != nil { return Self.redirect(next) }
        let token = SecretTokens.random()
        var response = render(Content(template: "login", data: ["loginToken": token, "next": next, "username": username], status: status),
                              title: "Log in", section: "", viewer: nil, error: error)
        response.setCookie(Cookie(name: Self.loginCookie, value: token, maxAge: 3600, path: "/", secure: true, httpOnly: true, sameSite: .strict))
        return response
    }

    func login(_ request: Request, _ context: Context) async throws -> Response {
        let form: ConsoleForm
        do {
            form = try await ConsoleForm.read(request, context)
        } catch let refusal as ConsoleAPI.Refusal {
            return try await loginPage(request, context, error: Self.explain(refusal), status: refusal.status)
        }
        let username = form.trimmed("username") ?? ""
        guard let cookie = request.cookies[Self.loginCookie]?.value, SecretTokens.constantTimeEquals(cookie, form.csrf) else {
            return try await loginPage(request, context, error: "The login form expired. Please try again.", username: username,
                                       next: form.value("next"), status: .forbidden)
        }
        let credentials = LoginRequest(username: username, password: form.value("password") ?? "")
        do {
            let body = ByteBuffer(bytes: try ConsoleAPI.encoder.encode(credentials))
            let answer = try await api.send(.post, "/api/v1/auth/login", body: body, request, context)
            var response = Self.redirect(Self.safeNext(form.value("next")))
            for cookie in answer.headers[values: .setCookie] { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
            response.setCookie(Cookie(name: Self.loginCookie, value: "", maxAge: 0, path: "/", secure: true, httpOnly: true, sameSite: .strict))
            return response
        } catch let refusal as ConsoleAPI.Refusal {
            let message = refusal.status == .unauthorized ? "Invalid username or password." : Self.explain(refusal)
            return try await loginPage(request, context, error: message, username: username, next: form.value("next"), status: refusal.status)
        }
    }

    func logout(_ request: Request, _ context: Context) async throws -> Response {
        do {
            let form = try await ConsoleForm.read(request, context)
            let answer = try await api.send(.post, "/api/v1/auth/logout", body: nil, csrf: form.csrf, request, context)
            var response = Self.redirect("/console/login")
            for cookie in answer.headers[values: .setCookie] { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
            return response
        } catch let refusal as ConsoleAPI.Refusal where refusal.status == .unauthorized {
            return Self.redirect("/console/login")
        } catch let refusal as ConsoleAPI.Refusal {
            return render(Content(template: "message", data: ["message": Self.explain(refusal)], status: refusal.status),
                          title: "Log out", section: "", viewer: try? await viewer(request, context))
        }
    }

    /// Only a console path: a login link cannot send anyone elsewhere.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/console/"), !next.contains("//"), !next.contains("\\"), !next.hasPrefix("/console/login") else {
            return "/console/"
        }
        return next
    }

    // MARK: - Answers

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .contentSecurityPolicy: contentSecurityPolicy, .cacheControl: "no-store",
        ], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .contentSecurityPolicy: contentSecurityPolicy])
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300", .contentSecurityPolicy: contentSecurityPolicy],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// How the console writes values: times as `<time>` the script shows in the browser's zone.
enum ConsoleText {
    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        let iso = ConsoleCharts.iso(date)
        return "<time datetime=\"\(iso)\">\(iso.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC"))</time>"
    }

    static func duration(_ seconds: Int?) -> String {
        guard let seconds else { return "not running" }
        let days = seconds / 86_400, hours = seconds % 86_400 / 3600, minutes = seconds % 3600 / 60
        if days > 0 { return "\(days) d \(hours) h" }
        if hours > 0 { return "\(hours) h \(minutes) min" }
        if minutes > 0 { return "\(minutes) min" }
        return "\(seconds) s"
    }

    static func list(_ items: [String]) -> String { items.joined(separator: ", ") }
}
