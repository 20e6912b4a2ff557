import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import StewardClient
import StewardModel
@testable import StewardServer
import StewardTesting
import Testing

/// The console as a browser meets it, over HTTPS to a real node, with no browser: redirects,
/// headers and cookies, the login form and its refusals, pages as served HTML, forms that need
/// their CSRF token, what a viewer may not see, and the live event stream.
@Suite("Console over HTTP, without a browser")
struct ConsoleHTTPTests {
    static let attack = "<script>alert(1)</script>"

    @Test("/ and a page without a session lead to the login form, whose strict __Host- cookie and token log in to the page asked for; logging out ends the session and its event stream")
    func loginFlow() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let console = ConsoleVisitor(node: node, cluster: cluster)

            let root = try await console.get("/")
            #expect(root.status == 303)
            #expect(root.location == "/console/")
            root.expectConsoleHeaders(html: false)

            let system = try await console.get("/console/")
            #expect(system.status == 303)
            #expect(system.location.flatMap(Self.next) == "/console/", "\(system.location ?? "no Location")")

            let jobs = try await console.get("/console/jobs?state=completed")
            #expect(jobs.status == 303)
            let loginURL = try #require(jobs.location)
            #expect(loginURL.hasPrefix("/console/login?next="), "\(loginURL)")
            #expect(Self.next(loginURL) == "/console/jobs?state=completed")

            let login = try await console.get(loginURL)
            #expect(login.status == 200)
            login.expectConsoleHeaders()
            let cookie = try #require(login.setCookie(ConsoleRoutes.loginCookie), "the login page sets \(ConsoleRoutes.loginCookie)")
            #expect(cookie.value.count >= 20, "an unguessable token: \(cookie.value)")
            for attribute in ["secure", "httponly", "samesite=strict", "path=/"] {
                #expect(cookie.attributes.contains(attribute), "\(attribute) in \(cookie.header)")
            }
            #expect(!cookie.attributes.contains { $0.hasPrefix("domain=") }, "a __Host- cookie has no Domain: \(cookie.header)")
            #expect(login.hidden("csrf") == cookie.value, "the form's token is the cookie's")
            #expect(login.hidden("next") == "/console/jobs?state=completed")
            #expect(login.text.contains(#"<form method="post" action="/console/login""#))
            #expect(login.text.contains(#"name="password" type="password""#))
            #expect(!login.text.contains("<nav"), "no navigation before logging in")

            let loggedIn = try await console.post("/console/login", [
                ("csrf", cookie.value), ("next", "/console/jobs?state=completed"), ("username", "admin"), ("password", TestCluster.adminPassword),
            ], cookies: [ConsoleRoutes.loginCookie: cookie.value])
            #expect(loggedIn.status == 303, "\(loggedIn.text)")
            #expect(loggedIn.location == "/console/jobs?state=completed")
            loggedIn.expectConsoleHeaders(html: false)
            let session = try #require(loggedIn.setCookie(StewardClient.sessionCookie), "a session cookie: \(loggedIn.headers)")
            cluster.neverLog(session.value)
            #expect(!session.value.isEmpty)
            #expect(session.attributes.contains("httponly") && session.attributes.contains("secure"))
            #expect(loggedIn.setCookie(ConsoleRoutes.loginCookie)?.attributes.contains("max-age=0") == true, "the login cookie is cleared")
            let jar = [StewardClient.sessionCookie: session.value]

            let page = try await console.get("/console/jobs?state=completed", cookies: jar)
            #expect(page.status == 200)
            #expect(page.text.contains("<h1>Jobs</h1>"))
            #expect(page.text.contains("Log out admin"))
            #expect(page.text.contains(#"<option value="completed" selected>"#), "the filter from the URL")
            let me = try await console.get("/api/v1/auth/me", cookies: jar)
            #expect(try ConsolePage.decoder.decode(WhoAmI.self, from: Data(me.text.utf8)).user.username == "admin")

            let again = try await console.get("/console/login", cookies: jar)
            #expect(again.status == 303)
            #expect(again.location == "/console/", "signed in, the login page sends to the console")

            // The layout's logout form, with its token, ends the session.
            let csrf = try #require(page.hidden("csrf"))
            let out = try await console.post("/console/logout", [("csrf", csrf)], cookies: jar)
            #expect(out.status == 303)
            #expect(out.location == "/console/login")
            #expect(out.setCookie(StewardClient.sessionCookie)?.attributes.contains("max-age=0") == true, "the session cookie is cleared")
            let afterwards = try await console.get("/console/jobs", cookies: jar)
            #expect(afterwards.status == 303)
            #expect(afterwards.location?.hasPrefix("/console/login?next=") == true)

            // Event streams without a (live) session say so and end at once.
            for (what, cookies) in [("no cookie", [String: String]()), ("a logged-out session", jar)] {
                for path in ["/console/events", "/console/commands/\(UUID().uuidString.lowercased())/events?after=0"] {
                    let stream = try await console.get(path, cookies: cookies)
                    #expect(stream.status == 200, "\(path), \(what)")
                    #expect(stream.header("Content-Type")?.hasPrefix("text/event-stream") == true)
                    #expect(stream.header("Content-Security-Policy") == ConsoleRoutes.contentSecurityPolicy)
                    let events = ConsoleEvent.parse(stream.text)
                    #expect(events.map(\.name) == [nil, "session"], "\(path), \(what): \(stream.text)")
                    #expect(events.first?.retry == 1000)
                    #expect(events.last?.json?["ended"] as? Bool == true)
                }
            }
        }
    }

    @Test("every console page and asset carries the strict CSP, and no page needs what it forbids (inline script, style, handlers, other origins); values from the URL are reflected only escaped")
    func pagesUnderTheirPolicy() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let console = ConsoleVisitor(node: node, cluster: cluster)
            let policy = ConsoleRoutes.contentSecurityPolicy
            #expect(policy.contains("script-src 'self'"))
            #expect(policy.contains("default-src 'none'"))
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))

            let login = try await console.get("/console/login")
            login.expectConsoleHeaders()
            Self.expectNothingTheCSPForbids(login)
            let jar = try await console.logIn("admin", TestCluster.adminPassword)

            let pages = ["/console/", "/console/?chart=kind", "/console/?chart=node,kind", "/console/nodes", "/console/nodes/node-a",
                         "/console/nodes/node-a/drain", "/console/agents", "/console/agents?state=online", "/console/jobs",
                         "/console/schedules", "/console/licenses", "/console/users", "/console/audit", "/console/account"]
            for path in pages {
                let page = try await console.get(path, cookies: jar)
                #expect(page.status == 200, "\(path): \(page.status)")
                page.expectConsoleHeaders()
                #expect(page.text.hasPrefix("<!doctype html>"), "\(path)")
                #expect(page.text.contains("Served by node node-a"), "\(path)")
                Self.expectNothingTheCSPForbids(page)
            }
            for (path, type) in [("/console/assets/console.js", "text/javascript"), ("/console/assets/console.css", "text/css")] {
                let asset = try await console.get(path)
                #expect(asset.status == 200, "\(path)")
                #expect(asset.header("Content-Type")?.hasPrefix(type) == true, "\(path): \(asset.header("Content-Type") ?? "none")")
                #expect(asset.header("Content-Security-Policy") == policy, "\(path)")
                #expect(asset.text.count > 500, "\(path) has content")
            }
            // Error pages too: a node that does not exist, a refused state change.
            let missing = try await console.get("/console/nodes/no-such-node", cookies: jar)
            #expect(missing.status == 404)
            missing.expectConsoleHeaders()
            #expect(missing.text.contains("Not found:"), "\(missing.text)")

            // Whatever the URL carries comes back as text, never as markup.
            let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
            let encoded = Self.attack.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let agents = try await console.get("/console/agents?tag=\(encoded)", cookies: jar)
            #expect(!agents.text.contains("<script>alert"), "\(agents.text)")
            #expect(agents.text.contains(escaped), "the tag is shown back, escaped: \(agents.text)")
            let breakout = try await console.get("/console/agents?tag=" + "\"><script>alert(1)</script>".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                                                 cookies: jar)
            #expect(!breakout.text.contains("<script>alert"))
            #expect(breakout.text.contains(#"<input id="tag" name="tag" value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" maxlength="64">"#),
                    "the value stays inside its attribute")
            for path in ["/console/jobs?kind=\(encoded)", "/console/audit?action=\(encoded)", "/console/nodes/\(encoded)", "/console/schedules/\(encoded)",
                         "/console/agents?state=\(encoded)"] {
                let page = try await console.get(path, cookies: jar)
                #expect([200, 400, 404].contains(page.status), "\(path): \(page.status)")
                #expect(!page.text.contains("<script>alert"), "\(path): \(page.text)")
                page.expectConsoleHeaders()
            }
            // A name typed into the login form comes back escaped too.
            let form = try await console.get("/console/login")
            let token = try #require(form.setCookie(ConsoleRoutes.loginCookie)?.value)
            let typed = try await console.post("/console/login", [("csrf", token), ("username", Self.attack), ("password", "wrong")],
                                               cookies: [ConsoleRoutes.loginCookie: token])
            #expect(typed.status == 401)
            #expect(!typed.text.contains("<script>alert"))
            #expect(typed.text.contains("value=\"\(escaped)\""), "the username is kept in the form, escaped")
        }
    }

    @Test("the login form refuses a missing login cookie or a token that is not the cookie's (403, no session), says 'Invalid username or password.' (401), and once throttled says what the API says (429)")
    func loginRefusals() async throws {
        try await TestCluster.with { cluster in
            // Three failures per client and account, then refusal (LoginThrottlingTests counts the same way).
            let node = try await cluster.start("node-a", extra: ["security.login.max.failures": "3"])
            let console = ConsoleVisitor(node: node, cluster: cluster)
            func attempt(_ password: String, cookie: String?, csrf: String?) async throws -> ConsolePage {
                var fields = [("next", "/console/"), ("username", "admin"), ("password", password)]
                if let csrf { fields.append(("csrf", csrf)) }
                return try await console.post("/console/login", fields, cookies: cookie.map { [ConsoleRoutes.loginCookie: $0] } ?? [:])
            }
            let token = try #require(try await console.get("/console/login").setCookie(ConsoleRoutes.loginCookie)?.value)

            for (what, cookie, csrf) in [("no login cookie", nil, token), ("no csrf field", token, nil), ("another token", token, token + "x"),
                                         ("a cookie from elsewhere", "forged", "forged-too")] as [(String, String?, String?)] {
                let refused = try await attempt(TestCluster.adminPassword, cookie: cookie, csrf: csrf)
                #expect(refused.status == 403, "\(what)")
                #expect(refused.setCookie(StewardClient.sessionCookie) == nil, "\(what): no session")
                #expect(refused.text.contains("The login form expired. Please try again."), "\(what)")
                refused.expectConsoleHeaders()
                // The page is a fresh form, with a fresh token, that works.
                let fresh = try #require(refused.setCookie(ConsoleRoutes.loginCookie), "\(what)")
                #expect(refused.hidden("csrf") == fresh.value)
            }

            for round in 1...3 {
                let wrong = try await attempt("wrong-password-\(round)", cookie: token, csrf: token)
                #expect(wrong.status == 401, "failure \(round)")
                #expect(wrong.text.contains(#"<p class="error" role="alert">Invalid username or password.</p>"#), "failure \(round): \(wrong.text)")
                #expect(wrong.setCookie(StewardClient.sessionCookie) == nil)
                #expect(wrong.text.contains(#"value="admin""#), "the username is kept")
                wrong.expectConsoleHeaders()
            }
            // Over the limit: refused with the API's own words, even with the right password.
            let api = try await cluster.client(node).raw(.POST, "/api/v1/auth/login",
                                                         body: try JSONEncoder().encode(LoginRequest(username: "admin", password: "wrong-password-4")))
            #expect(api.status == 429)
            let apiMessage = try #require(try? JSONDecoder().decode([String: String].self, from: api.body)["error"])
            for password in ["wrong-password-5", TestCluster.adminPassword] {
                let throttled = try await attempt(password, cookie: token, csrf: token)
                #expect(throttled.status == 429, "\(throttled.status)")
                #expect(throttled.text.contains("try again in"), "\(throttled.text)")
                #expect(throttled.text.contains(ConsolePage.escapeHTML(apiMessage)), "the API's message '\(apiMessage)' in \(throttled.text)")
                #expect(!throttled.text.contains("Invalid username or password."))
                #expect(throttled.setCookie(StewardClient.sessionCookie) == nil)
                #expect(throttled.text.contains(#"<form method="post" action="/console/login""#), "the form stays, for later")
                throttled.expectConsoleHeaders()
            }
        }
    }

    @Test("a wrong password, or an expired form, keeps where the login was going: the retried login still lands on the page asked for")
    func failedLoginKeepsNext() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let console = ConsoleVisitor(node: node, cluster: cluster)
            let start = try await console.get("/console/jobs?state=completed")
            let login = try await console.get(try #require(start.location))
            let token = try #require(login.setCookie(ConsoleRoutes.loginCookie)?.value)
            let next = try #require(login.hidden("next"))
            #expect(next == "/console/jobs?state=completed")
            let wrong = try await console.post("/console/login", [("csrf", token), ("next", next), ("username", "admin"), ("password", "typo")],
                                               cookies: [ConsoleRoutes.loginCookie: token])
            #expect(wrong.status == 401)
            let expired = try await console.post("/console/login", [("csrf", "stale"), ("next", next), ("username", "admin"), ("password", "typo")],
                                                 cookies: [ConsoleRoutes.loginCookie: token])
            #expect(expired.status == 403)
            #expect(expired.hidden("next") == "/console/jobs?state=completed", "after an expired form: \(expired.hidden("next") ?? "none")")
            // The browser submits the form it was given again, with the right password.
            let retryToken = try #require(wrong.setCookie(ConsoleRoutes.loginCookie)?.value)
            #expect(wrong.hidden("next") == "/console/jobs?state=completed", "the re-shown form's next field: \(wrong.hidden("next") ?? "none")")
            let retried = try await console.post("/console/login", [
                ("csrf", retryToken), ("next", wrong.hidden("next") ?? ""), ("username", "admin"), ("password", TestCluster.adminPassword),
            ], cookies: [ConsoleRoutes.loginCookie: retryToken])
            #expect(retried.status == 303)
            #expect(retried.location == "/console/jobs?state=completed", "landed on \(retried.location ?? "none")")
            if let session = retried.setCookie(StewardClient.sessionCookie)?.value { cluster.neverLog(session) }
        }
    }

    @Test("the system page is served with its SVG chart and one card per node; its event stream sends the map first, then the chart, and a new map when a node joins")
    func systemPageAndLiveMap() async throws {
        try await TestCluster.with { cluster in
            let a = try await cluster.start("node-a")
            let console = ConsoleVisitor(node: a, cluster: cluster)
            let jar = try await console.logIn("admin", TestCluster.adminPassword)

            var stream = try await console.events("/console/events", cookies: jar)
            #expect(stream.status == 200)
            #expect(stream.header("Content-Type")?.hasPrefix("text/event-stream") == true)
            #expect(stream.header("Content-Security-Policy") == ConsoleRoutes.contentSecurityPolicy)
            let retry = try await stream.next()
            #expect(retry?.name == nil && retry?.retry == 1000, "\(String(describing: retry))")
            let first = try await stream.next()
            let map = try #require(first, "the stream ended: \(stream.received)")
            #expect(map.name == "map", "the map comes first: \(stream.received)")
            let mapHTML = try #require(map.json?["html"] as? String, "\(map.data)")
            #expect(Self.cards(mapHTML) == ["node-a": "online"], "\(mapHTML)")
            #expect(mapHTML.contains("1 of 1 nodes online"))
            let second = try await stream.next()
            let chart = try #require(second, "the stream ended: \(stream.received)")
            #expect(chart.name == "chart")
            #expect((chart.json?["html"] as? String)?.contains(#"<svg class="chart""#) == true, "\(chart.data)")

            // A node joins: the open stream shows it without being asked again.
            let b = try await cluster.start("node-b")
            let joined = ContinuousClock.now
            var latest = mapHTML
            while Self.cards(latest) != ["node-a": "online", "node-b": "online"] {
                guard ContinuousClock.now - joined < .seconds(30) else {
                    Issue.record("node-b never appeared on the live map: \(latest)")
                    break
                }
                guard let event = try await stream.next() else {
                    Issue.record("the stream ended: \(stream.received.suffix(2000))")
                    break
                }
                if event.name == "map", let html = event.json?["html"] as? String { latest = html }
            }
            #expect(latest.contains("2 of 2 nodes online"), "\(latest)")
            stream.close()

            for node in [a, b] {
                let page = try await console.get("/console/", cookies: jar, via: node)
                #expect(page.status == 200)
                #expect(page.text.contains(#"<svg class="chart""#), "the chart is in the page, not drawn by script")
                #expect(page.text.contains(#"role="img""#))
                #expect(page.text.contains(#"<title id="chart-title">Jobs by node, per minute, last hour</title>"#))
                #expect(page.text.contains(#"data-time=""#))
                #expect(Self.cards(page.text) == ["node-a": "online", "node-b": "online"], "one card per node on \(node.name)")
                #expect(page.text.components(separatedBy: #"<svg class="spark""#).count - 1 == 2, "a sparkline per node")
                #expect(page.text.contains(#"<body data-live="system""#), "the page asks the script for live updates")
                let serving = try #require(page.text.firstMatch(of: #/<li class="node[^"]*" data-node="([^"]+)"[^>]*>\s*<h3>[^\n]*this node/#)?.1)
                #expect(String(serving) == node.name, "the serving node is marked")
            }
            let byKind = try await console.get("/console/?chart=kind", cookies: jar)
            #expect(byKind.text.contains(#"<option value="kind" selected>"#))
            #expect(byKind.text.contains("Jobs by type, per minute, last hour"))
        }
    }

    @Test("a console form posted without its CSRF token, or with a wrong one, is refused (403) and changes nothing; with the token from /auth/me it creates the token (201) and shows the secret once")
    func formsNeedTheirToken() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            let console = ConsoleVisitor(node: node, cluster: cluster)
            let jar = try await console.logIn("admin", TestCluster.adminPassword)
            let named: @Sendable () async throws -> [TokenInfo] = { try await admin.tokens(everyone: true).filter { $0.name == "x" } }

            let attempts: [(String, [(String, String)])] = [
                ("no csrf field", [("name", "x")]), ("a wrong one", [("name", "x"), ("csrf", "guess")]), ("an empty one", [("name", "x"), ("csrf", "")]),
            ]
            for (what, fields) in attempts {
                let refused = try await console.post("/console/account/tokens", fields, cookies: jar)
                #expect(refused.status == 403, "\(what): \(refused.status)")
                #expect(refused.text.contains("This form has expired or did not come from this console"), "\(what): \(refused.text)")
                #expect(!refused.text.contains(#"id="new-token""#))
                refused.expectConsoleHeaders()
            }
            let anonymous = try await console.post("/console/account/tokens", [("name", "x"), ("csrf", "guess")])
            #expect(anonymous.status == 303 && anonymous.location == "/console/login", "without a session: to the login form")
            #expect(try await named().isEmpty, "nothing was created")

            let me = try ConsolePage.decoder.decode(WhoAmI.self, from: Data(try await console.get("/api/v1/auth/me", cookies: jar).text.utf8))
            let csrf = try #require(me.csrfToken)
            let account = try await console.get("/console/account", cookies: jar)
            #expect(account.hiddenValues("csrf").allSatisfy { $0 == csrf } && account.hiddenValues("csrf").count >= 3,
                    "every form on the page carries the session's token")

            let created = try await console.post("/console/account/tokens", [("csrf", csrf), ("name", "x"), ("days", "30")], cookies: jar)
            #expect(created.status == 201, "\(created.text)")
            created.expectConsoleHeaders()
            let secret = try #require(created.text.firstMatch(of: #/<code id="new-token">([^<]+)</code>/#).map { String($0.1) }, "\(created.text)")
            cluster.neverLog(secret)
            #expect(created.text.contains("copy it now, it is not shown again"))
            let tokens = try await named()
            #expect(tokens.count == 1)
            let token = try #require(tokens.first)
            #expect(token.owner == "admin")
            #expect(secret.hasPrefix(token.prefix))
            #expect(try await cluster.client(node, token: secret).raw(.GET, "/api/v1/auth/me").status == 200, "the secret shown is the token's")
            #expect(created.text.contains("<td>x</td>"), "listed on the same page")

            let later = try await console.get("/console/account", cookies: jar)
            #expect(later.status == 200)
            #expect(later.text.contains("<td>x</td>"))
            #expect(!later.text.contains(secret), "the secret is shown once")

            let badDays = try await console.post("/console/account/tokens", [("csrf", csrf), ("name", "y"), ("days", "soon")], cookies: jar)
            #expect(badDays.status == 400)
            #expect(badDays.text.contains("expires in days: &#39;soon&#39; is not a number."), "\(badDays.text)")
            let json = try await console.post("/console/account/tokens", [("csrf", csrf), ("name", "y")], cookies: jar, contentType: "application/json")
            #expect(json.status == 415, "only forms are read as forms")
            #expect(try await admin.tokens(everyone: true).filter { $0.name == "y" }.isEmpty)
        }
    }

    @Test("a viewer logged in with the form gets 403 on Users and Audit, sees no links to them nor operator forms, and cannot create a user by posting the form")
    func viewerLimits() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            cluster.neverLog("viewer-password-1")
            _ = try await admin.createUser("vic", password: "viewer-password-1", role: .viewer)
            let console = ConsoleVisitor(node: node, cluster: cluster)

            // An admin's navigation has the two links, and the agents page its operator form…
            let adminJar = try await console.logIn("admin", TestCluster.adminPassword)
            let adminPage = try await console.get("/console/agents", cookies: adminJar)
            #expect(Self.navigation(adminPage.text).contains("/console/users"))
            #expect(Self.navigation(adminPage.text).contains("/console/audit"))
            #expect(adminPage.text.contains(#"<form method="post" action="/console/commands""#))

            // …a viewer's has neither.
            let jar = try await console.logIn("vic", "viewer-password-1")
            let system = try await console.get("/console/", cookies: jar)
            #expect(system.status == 200)
            #expect(system.text.contains("Log out vic"))
            let links = Self.navigation(system.text)
            #expect(links == ["/console/", "/console/nodes", "/console/agents", "/console/jobs", "/console/schedules", "/console/licenses", "/console/account"],
                    "\(links)")
            for path in ["/console/users", "/console/audit"] {
                let refused = try await console.get(path, cookies: jar)
                #expect(refused.status == 403, "\(path): \(refused.status)")
                #expect(refused.text.contains(#"<p class="error" role="alert">Not allowed:"#), "\(path): \(refused.text)")
                #expect(!refused.text.contains(#"id="users""#) && !refused.text.contains(#"id="audit""#), "\(path): no data")
                #expect(!Self.navigation(refused.text).contains("/console/users") && !Self.navigation(refused.text).contains("/console/audit"))
                refused.expectConsoleHeaders()
            }
            let agents = try await console.get("/console/agents", cookies: jar)
            #expect(agents.status == 200)
            #expect(!agents.text.contains(#"action="/console/commands""#), "no run-on-a-tag form for a viewer")

            // The form, posted anyway with the viewer's own valid token, is refused by the API's rules.
            let csrf = try #require(system.hidden("csrf"))
            let posted = try await console.post("/console/users", [("csrf", csrf), ("username", "mallory"), ("password", "mallory-password-1"), ("role", "admin")],
                                                cookies: jar)
            #expect(posted.status == 403, "\(posted.status): \(posted.text)")
            #expect(try await admin.users().allSatisfy { $0.username != "mallory" })
        }
    }

    // MARK: - Reading pages

    /// The `next` query parameter of a login URL, decoded.
    static func next(_ location: String) -> String? {
        URLComponents(string: "https://host" + location)?.queryItems?.first { $0.name == "next" }?.value
    }

    /// The node map's cards: node name to state.
    static func cards(_ html: String) -> [String: String] {
        var cards: [String: String] = [:]
        for match in html.matches(of: #/<li class="node state-[^"]*" data-node="([^"]+)" data-state="([^"]+)">/#) {
            #expect(cards[String(match.1)] == nil, "one card for \(match.1)")
            cards[String(match.1)] = String(match.2)
        }
        return cards
    }

    /// The links of the main navigation, in order.
    static func navigation(_ html: String) -> [String] {
        guard let start = html.range(of: #"<nav aria-label="Main">"#), let end = html.range(of: "</nav>", range: start.upperBound..<html.endIndex) else { return [] }
        let nav = html[start.upperBound..<end.lowerBound]
        return nav.matches(of: #/<li><a href="([^"]+)"/#).map { String($0.1) }
    }

    /// What `script-src 'self'; style-src 'self'; default-src 'none'` would block: a page needing it would break in a browser.
    static func expectNothingTheCSPForbids(_ page: ConsolePage, sourceLocation: SourceLocation = #_sourceLocation) {
        let html = page.text
        for script in html.matches(of: #/<script\b[^>]*>/#) {
            #expect(script.0.contains(#"src="/console/assets/"#), "inline script: \(script.0)", sourceLocation: sourceLocation)
        }
        #expect(html.contains(#"<script src="/console/assets/console.js" defer></script>"#), sourceLocation: sourceLocation)
        #expect(!html.contains("<style"), "inline stylesheet", sourceLocation: sourceLocation)
        #expect(html.firstMatch(of: #/\sstyle\s*=/#) == nil, "a style attribute", sourceLocation: sourceLocation)
        if let handler = html.firstMatch(of: #/\son[a-z]+\s*=\s*"/#) {
            Issue.record("an inline event handler: \(handler.0)", sourceLocation: sourceLocation)
        }
        for reference in html.matches(of: #/\s(?:src|href|action)="([^"]*)"/#) {
            let url = String(reference.1)
            #expect(url.hasPrefix("/") && !url.hasPrefix("//") || url.hasPrefix("#"), "a reference off this origin: \(url)", sourceLocation: sourceLocation)
        }
    }
}

// MARK: - A browser without a browser

/// A page as a browser receives it.
struct ConsolePage: Sendable {
    let status: Int
    let headers: [(String, String)]
    let text: String

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var location: String? { header("Location") }

    struct SetCookie {
        let header: String
        let value: String
        /// Lowercased, without spaces: "secure", "samesite=strict", "max-age=0".
        let attributes: [String]
    }

    /// The Set-Cookie header for `name`, if the answer sets it.
    func setCookie(_ name: String) -> SetCookie? {
        for (field, header) in headers where field.lowercased() == "set-cookie" && header.hasPrefix(name + "=") {
            let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            return SetCookie(header: header, value: String(parts[0].dropFirst(name.count + 1)),
                             attributes: parts.dropFirst().map { $0.lowercased().replacingOccurrences(of: " ", with: "") })
        }
        return nil
    }

    /// The values of the page's hidden inputs named `name`, unescaped.
    func hiddenValues(_ name: String) -> [String] {
        text.matches(of: #/<input type="hidden" name="([^"]+)" value="([^"]*)">/#).filter { $0.1 == name }.map { Self.unescapeHTML(String($0.2)) }
    }

    func hidden(_ name: String) -> String? { hiddenValues(name).first }

    /// A console answer's headers: its CSP always; for a page, HTML never cached.
    func expectConsoleHeaders(html: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        // Exactly one: a second policy (the API's, which forbids every script and form) would be enforced as well.
        let policies = headers.filter { $0.0.lowercased() == "content-security-policy" }.map(\.1)
        #expect(policies == [ConsoleRoutes.contentSecurityPolicy], "CSP of a \(status) answer", sourceLocation: sourceLocation)
        if html {
            #expect(header("Content-Type") == "text/html; charset=utf-8", sourceLocation: sourceLocation)
            #expect(header("Cache-Control") == "no-store", sourceLocation: sourceLocation)
        }
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func unescapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }
}

/// One server-sent event.
struct ConsoleEvent: CustomStringConvertible {
    var name: String?
    var data = ""
    var retry: Int?

    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] }
    var description: String { "event \(name ?? "-") retry \(retry.map(String.init) ?? "-") data \(data.prefix(200))" }

    /// A comment (": keep-alive"), which carries nothing.
    var isComment = false

    init(block: Substring) {
        isComment = block.hasPrefix(":")
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data += (data.isEmpty ? "" : "\n") + line.dropFirst(6) }
            if line.hasPrefix("retry: ") { retry = Int(line.dropFirst(7)) }
        }
    }

    static func parse(_ text: String) -> [ConsoleEvent] {
        text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { ConsoleEvent(block: $0[...]) }
    }
}

/// GETs through `StewardClient.raw` (as the other tests do), and what `raw` cannot do: post a form
/// as a form (it labels every body JSON), and read the beginning of an event stream that lasts ten
/// minutes (it collects whole bodies). Nothing follows redirects: each answer is looked at.
struct ConsoleVisitor {
    let node: ServerProcess
    let cluster: TestCluster

    /// Lives as long as the process, like `StewardClient.http`: a static is never shut down.
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    var tls: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(cluster.caFile)
        tls.certificateVerification = .fullVerification
        return tls
    }

    static func cookieHeader(_ cookies: [String: String]) -> [(String, String)] {
        cookies.isEmpty ? [] : [("Cookie", cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))]
    }

    func get(_ path: String, cookies: [String: String] = [:], via other: ServerProcess? = nil) async throws -> ConsolePage {
        let client = StewardClient(baseURL: (other ?? node).httpsURL, trust: .caFile(cluster.caFile))
        let response = try await client.raw(.GET, path, headers: Self.cookieHeader(cookies))
        return ConsolePage(status: response.status, headers: response.headers, text: response.text)
    }

    /// Fields encoded as a browser encodes them (spaces as '+').
    static func encode(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~ "))
        allowed.remove(charactersIn: "+&=%")
        return fields.map { name, value in
            [name, value].map { $0.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: " ", with: "+") }.joined(separator: "=")
        }.joined(separator: "&")
    }

    func post(_ path: String, _ fields: [(String, String)], cookies: [String: String] = [:],
              contentType: String = "application/x-www-form-urlencoded") async throws -> ConsolePage {
        var request = HTTPClientRequest(url: node.httpsURL + path)
        request.method = .POST
        request.tlsConfiguration = tls
        for (name, value) in Self.cookieHeader(cookies) { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(string: Self.encode(fields)))
        let response = try await Self.http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return ConsolePage(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, text: String(buffer: body))
    }

    /// Logs in through the form, as a browser does; returns the cookies to send from then on.
    func logIn(_ username: String, _ password: String) async throws -> [String: String] {
        let form = try await get("/console/login")
        let token = try #require(form.setCookie(ConsoleRoutes.loginCookie)?.value)
        let answer = try await post("/console/login", [("csrf", try #require(form.hidden("csrf"))), ("next", "/console/"),
                                                       ("username", username), ("password", password)],
                                    cookies: [ConsoleRoutes.loginCookie: token])
        guard answer.status == 303, let session = answer.setCookie(StewardClient.sessionCookie)?.value, !session.isEmpty else {
            throw HarnessError("console login as \(username): \(answer.status) \(answer.text.prefix(2000))")
        }
        cluster.neverLog(session)
        return [StewardClient.sessionCookie: session]
    }

    /// Opens an event stream; read it with `next()`, then `close()` it.
    func events(_ path: String, cookies: [String: String], timeout: Duration = .seconds(90)) async throws -> ConsoleEventStream {
        var request = HTTPClientRequest(url: node.httpsURL + path)
        request.tlsConfiguration = tls
        for (name, value) in Self.cookieHeader(cookies) { request.headers.add(name: name, value: value) }
        request.headers.add(name: "Accept", value: "text/event-stream")
        // The deadline bounds the whole exchange, body included: a stream that stops sending fails the read, not hangs it.
        let response = try await Self.http.execute(request, timeout: .seconds(timeout.components.seconds))
        return ConsoleEventStream(response: response)
    }
}

/// The events of one open stream, as they arrive.
struct ConsoleEventStream {
    let status: Int
    let headers: [(String, String)]
    private var body: HTTPClientResponse.Body.AsyncIterator?
    private var buffer = ""
    private(set) var received = ""

    init(response: HTTPClientResponse) {
        status = Int(response.status.code)
        headers = response.headers.map { ($0.name, $0.value) }
        body = response.body.makeAsyncIterator()
    }

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    /// The next event, or nil when the server ended the stream.
    mutating func next() async throws -> ConsoleEvent? {
        while true {
            if let end = buffer.range(of: "\n\n") {
                let block = buffer[..<end.lowerBound]
                defer { buffer = String(buffer[end.upperBound...]) }
                return ConsoleEvent(block: block)
            }
            guard var iterator = body, let chunk = try await iterator.next() else {
                body = nil
                return nil
            }
            body = iterator
            let text = String(buffer: chunk)
            buffer += text
            received += text
        }
    }

    /// Drops the body: the client closes the connection, and the server's stream ends.
    mutating func close() { body = nil }
}
