import Foundation
import Mustache
import StewardModel
@testable import StewardServer
import Testing

/// The console's parts that need no server: forms as browsers post them, where a login may send
/// someone next, a command form turned into the API's request, the SVG charts, the templates, and
/// the signal that wakes the live streams.
@Suite("Console, without a server")
struct ConsoleUnitTests {}

// MARK: - Forms

extension ConsoleUnitTests {
    @Suite("Console forms: what a browser posts, read back as typed")
    struct Forms {
        @Test("'+' is a space, percent escapes decode (an escaped '+' stays a plus), and '=' in a value is kept")
        func decoding() {
            let form = ConsoleForm(encoded: "name=deploy+bot&plus=a%2Bb&symbols=%26%3D%3F%25%2F&utf=caf%C3%A9&env=A%3D1%3D2&empty=&flag")
            #expect(form.value("name") == "deploy bot")
            #expect(form.value("plus") == "a+b", "decoded as a space: '+' was decoded after the percent escapes")
            #expect(form.value("symbols") == "&=?%/")
            #expect(form.value("utf") == "café")
            #expect(form.value("env") == "A=1=2", "only the first '=' separates name and value")
            #expect(form.value("empty") == "")
            #expect(form.value("flag") == "", "a field without '=' is present, empty")
            #expect(form.value("missing") == nil)
            #expect(ConsoleForm(encoded: "").fields.isEmpty)
            #expect(ConsoleForm(encoded: "a+name=x").value("a name") == "x", "names decode like values")
        }

        @Test("a repeated field: value is the first, values all of them in order")
        func repeated() {
            let form = ConsoleForm(encoded: "tag=web&other=1&tag=db&tag=web")
            #expect(form.value("tag") == "web")
            #expect(form.values("tag") == ["web", "db", "web"])
            #expect(form.values("none") == [])
        }

        @Test("lines: one item per line, CRLF or LF, trimmed, blank lines dropped")
        func lines() {
            // As a browser posts a textarea: CRLF line ends.
            let form = ConsoleForm(encoded: "argv=%2Fbin%2Fecho%0D%0A++hello+world++%0D%0A%0D%0A+%0D%0Alast%0Aone&blank=%0D%0A+%0D%0A")
            #expect(form.lines("argv") == ["/bin/echo", "hello world", "last", "one"])
            #expect(form.lines("blank") == [])
            #expect(form.lines("missing") == [])
        }

        @Test("trimmed: surrounding spaces and newlines go; only spaces, or absent, is nil")
        func trimmed() {
            let form = ConsoleForm(encoded: "name=++deploy+bot+%0D%0A&spaces=+++&empty=")
            #expect(form.trimmed("name") == "deploy bot")
            #expect(form.trimmed("spaces") == nil)
            #expect(form.trimmed("empty") == nil)
            #expect(form.trimmed("missing") == nil)
        }

        @Test("csrf is the csrf field, empty when the form has none")
        func csrf() {
            #expect(ConsoleForm(encoded: "name=x&csrf=abc%2Bdef").csrf == "abc+def")
            #expect(ConsoleForm(encoded: "name=x").csrf == "")
        }
    }
}

// MARK: - Routes' pure parts

extension ConsoleUnitTests {
    @Suite("Console login 'next': only a console page")
    struct SafeNext {
        @Test("another site, a protocol-relative URL, backslashes, the login page itself and non-console paths all go to /console/",
              arguments: [
                  nil, "", "//evil.example", "//evil.example/console/", "https://x", "https://x/console/", "http://evil.example",
                  "/console//evil.example", "/console/\\evil.example", "\\\\evil.example", "/\\evil.example", "/console/..\\..\\api",
                  "/console/login", "/console/login?next=/console/", "/api/v1/tokens", "/", "/consolex/", "console/",
                  "javascript:alert(1)",
              ])
        func refused(next: String?) {
            #expect(ConsoleRoutes.safeNext(next) == "/console/", "\(next ?? "nil")")
        }

        @Test("a console page, with its query, is kept as it is", arguments: [
            "/console/", "/console/jobs?state=x", "/console/jobs?state=failed&kind=backup", "/console/agents/6f1c?notice=tags", "/console/nodes/node-b",
        ])
        func kept(next: String) {
            #expect(ConsoleRoutes.safeNext(next) == next)
        }
    }
}

extension ConsoleUnitTests {
    @Suite("Console command form: the API's request, or a clear refusal")
    struct CommandRequest {
        func request(_ encoded: String, tag: String? = nil) throws -> AgentCommandRequest {
            try ConsoleRoutes.commandRequest(ConsoleForm(encoded: encoded), tag: tag)
        }

        @Test("argv one per line; NAME=value environment (a value may hold '='); secrets; working directory trimmed; timeout")
        func fields() throws {
            let command = try request(
                "argv=%2Fbin%2Fsh%0D%0A-c%0D%0Aecho+%22%24GREETING%22%0D%0A&env=GREETING%3Dhello+world%0D%0AOPTS%3Da%3D1%2Cb%3D2%0D%0AEMPTY%3D&secretEnv=TOKEN%3Ddeploy-token"
                    + "&cwd=+%2Fsrv%2Fapp+&timeout=+45+",
                tag: "web")
            #expect(command.argv == ["/bin/sh", "-c", "echo \"$GREETING\""])
            #expect(command.environment == ["GREETING": "hello world", "OPTS": "a=1,b=2", "EMPTY": ""])
            #expect(command.secretEnvironment == ["TOKEN": "deploy-token"])
            #expect(command.workingDirectory == "/srv/app")
            #expect(command.timeoutSeconds == 45)
            #expect(command.tag == "web")
        }

        @Test("empty optional fields are absent, not empty: the API's defaults apply")
        func defaults() throws {
            let command = try request("argv=uptime&env=%0D%0A&secretEnv=&cwd=+&timeout=")
            #expect(command.argv == ["uptime"])
            #expect(command.environment == nil)
            #expect(command.secretEnvironment == nil)
            #expect(command.workingDirectory == nil)
            #expect(command.timeoutSeconds == nil)
            #expect(command.tag == nil)
        }

        @Test("an environment line without NAME= is refused (400), naming the line", arguments: [
            ("env=GOOD%3D1%0D%0Anot+a+pair", "environment: 'not a pair' is not NAME=value"),
            ("env=%3Dvalue", "environment: '=value' is not NAME=value"),
            ("secretEnv=TOKEN", "secrets: 'TOKEN' is not NAME=value"),
        ])
        func badEnvironment(encoded: String, message: String) throws {
            let refusal = #expect(throws: ConsoleAPI.Refusal.self) { try request("argv=true&" + encoded) }
            #expect(refusal?.status.code == 400)
            #expect(refusal?.message == message)
            #expect(ConsoleRoutes.explain(try #require(refusal)) == message + ".", "the page shows the message as a sentence")
        }

        @Test("a long bad line is quoted shortened, not whole")
        func longLineShortened() {
            let line = String(repeating: "x", count: 500)
            let refusal = #expect(throws: ConsoleAPI.Refusal.self) { try request("argv=true&env=" + line) }
            #expect(refusal?.message == "environment: '\(String(repeating: "x", count: 60))' is not NAME=value")
        }

        @Test("a timeout that is not a whole number of seconds is refused (400), quoting it", arguments: ["5m", "1.5", "ten", "30 s"])
        func badTimeout(timeout: String) {
            let encoded = timeout.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let refusal = #expect(throws: ConsoleAPI.Refusal.self) { try request("argv=true&timeout=" + encoded) }
            #expect(refusal?.status.code == 400)
            #expect(refusal?.message == "timeout: '\(timeout)' is not a number of seconds")
        }
    }
}

extension ConsoleUnitTests {
    @Suite("Console text: paths, times, durations and refusals as the pages write them")
    struct Text {
        @Test("a path segment or query value escapes everything that could change the path's meaning")
        func paths() {
            #expect(APIPath.segment("../a b/?x=1&y#z") == "..%2Fa%20b%2F%3Fx%3D1%26y%23z")
            #expect(APIPath.segment("node-a_1.~") == "node-a_1.~")
            #expect(APIPath.make("/api/v1/agents", [("tag", "a&state=revoked"), ("state", nil), ("limit", "")])
                    == "/api/v1/agents?tag=a%26state%3Drevoked")
            #expect(APIPath.make("/api/v1/agents", [("tag", nil)]) == "/api/v1/agents")
        }

        @Test("times are <time> in UTC with an ISO datetime; durations in the largest two units")
        func timesAndDurations() throws {
            let date = try Date("2025-03-04T05:06:07Z", strategy: .iso8601)
            #expect(ConsoleText.time(date) == #"<time datetime="2025-03-04T05:06:07Z">2025-03-04 05:06:07 UTC</time>"#)
            #expect(ConsoleText.time(nil) == "")
            #expect(ConsoleText.duration(nil) == "not running")
            #expect(ConsoleText.duration(59) == "59 s")
            #expect(ConsoleText.duration(61) == "1 min")
            #expect(ConsoleText.duration(3720) == "1 h 2 min")
            #expect(ConsoleText.duration(90_061) == "1 d 1 h")
        }

        @Test("a refused CSRF token reads as an expired form; other refusals in the API's words")
        func explanations() {
            #expect(ConsoleRoutes.explain(.init(status: .forbidden, message: "missing or wrong X-CSRF-Token header"))
                    .hasPrefix("This form has expired or did not come from this console"))
            #expect(ConsoleRoutes.explain(.init(status: .forbidden, message: "admin role required")) == "Not allowed: admin role required.")
            #expect(ConsoleRoutes.explain(.init(status: .notFound, message: "no node x")) == "Not found: no node x.")
            #expect(ConsoleRoutes.explain(.init(status: .conflict, message: "node-a is online")) == "node-a is online.")
        }
    }
}

// MARK: - Charts

extension ConsoleUnitTests {
    @Suite("Console charts: SVG that needs no script")
    struct Charts {
        struct Bar {
            let x, y, width, height: Double
            let fill: String
            let title: String
        }

        /// The chart's bars: `<rect …fill=…><title>…</title></rect>` (legend swatches are self-closing and have no title).
        static func bars(_ svg: String) -> [Bar] {
            svg.matches(of: #/<rect x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)" fill="([^"]+)"><title>([^<]*)</title></rect>/#).map {
                Bar(x: Double($0.1)!, y: Double($0.2)!, width: Double($0.3)!, height: Double($0.4)!, fill: String($0.5), title: String($0.6))
            }
        }

        let since = try! Date("2025-03-04T05:06:00Z", strategy: .iso8601)

        @Test("stacked: one bar per non-zero group-minute, in the group's colour, stacked without overlap; a title, role=img, a legend")
        func stacked() throws {
            let series = [ConsoleCharts.Series(name: "node-a", counts: [1, 2, 0]), ConsoleCharts.Series(name: "node-b", counts: [0, 2, 0])]
            let svg = ConsoleCharts.stacked(series, since: since, minutes: 3, title: "Jobs by node, per minute, last hour")
            #expect(svg.hasPrefix("<svg class=\"chart\""))
            #expect(svg.hasSuffix("</svg>"))
            #expect(svg.contains(#"role="img" aria-labelledby="chart-title""#))
            #expect(svg.contains(#"<title id="chart-title">Jobs by node, per minute, last hour</title>"#))

            let bars = Self.bars(svg)
            #expect(bars.map(\.title) == ["node-a: 1", "node-a: 2", "node-b: 2"])
            #expect(bars.map(\.fill) == [ConsoleCharts.palette[0], ConsoleCharts.palette[0], ConsoleCharts.palette[1]])
            let (a0, a1, b1) = (bars[0], bars[1], bars[2])
            #expect(a0.x < a1.x && a1.x == b1.x, "one column per minute, groups of a minute in one column")
            #expect(abs(b1.y + b1.height - a1.y) < 0.11, "node-b's bar sits on node-a's: \(b1) on \(a1)")
            #expect(abs(a1.height - b1.height) < 0.11 && abs(a1.height - 2 * a0.height) < 0.11, "heights in proportion to counts")
            // The busiest minute fills the plot: its top at the plot's top, its bottom on the axis with the others.
            #expect(abs(a0.y + a0.height - (a1.y + a1.height)) < 0.11)
            #expect(b1.y < a0.y)
            // Axis: 0, half and the peak (4 jobs in minute 1); a legend swatch and total per group.
            for label in [">0</text>", ">2</text>", ">4</text>", ">node-a (3)</text>", ">node-b (2)</text>"] {
                #expect(svg.contains(label), "\(label)")
            }
            #expect(svg.matches(of: #/<rect [^>]*fill="[^"]+"/>/#).count == 2, "one legend swatch per group")
        }

        @Test("stacked: nothing drawn for a group-minute of zero, nor for an empty hour")
        func stackedEmpty() {
            let empty = ConsoleCharts.stacked([ConsoleCharts.Series(name: "node-a", counts: Array(repeating: 0, count: 60))],
                                              since: since, minutes: 60, title: "t")
            #expect(Self.bars(empty).isEmpty)
            let none = ConsoleCharts.stacked([], since: since, minutes: 60, title: "t")
            #expect(Self.bars(none).isEmpty)
            #expect(none.contains("role=\"img\"") && none.hasSuffix("</svg>"))
        }

        @Test("stacked: time labels every quarter of the window, as ISO in data-time and as UTC clock text")
        func timeLabels() {
            let svg = ConsoleCharts.stacked([ConsoleCharts.Series(name: "node-a", counts: [3])], since: since, minutes: 60, title: "t")
            let labels = svg.matches(of: #/data-time="([^"]+)">([^<]+)</text>/#).map { (String($0.1), String($0.2)) }
            #expect(labels.map(\.0) == ["2025-03-04T05:06:00Z", "2025-03-04T05:21:00Z", "2025-03-04T05:36:00Z", "2025-03-04T05:51:00Z", "2025-03-04T06:06:00Z"])
            #expect(labels.map(\.1) == ["05:06 UTC", "05:21 UTC", "05:36 UTC", "05:51 UTC", "06:06 UTC"])
            #expect(Self.bars(svg).count == 1)
        }

        @Test("stacked: a group name with markup is escaped in its bar's title and the legend; so is the chart's title")
        func escaping() {
            let name = #"<script>alert("x")</script>"#
            let svg = ConsoleCharts.stacked([ConsoleCharts.Series(name: name, counts: [1, 0])], since: since, minutes: 2, title: "<b>title</b>")
            #expect(!svg.contains("<script"))
            #expect(!svg.contains("<b>"))
            #expect(Self.bars(svg).map(\.title) == ["&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;: 1"])
            #expect(svg.contains(">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; (1)</text>"))
            #expect(svg.contains("<title id=\"chart-title\">&lt;b&gt;title&lt;/b&gt;</title>"))
            #expect(ConsoleCharts.escape(#"&<>"'"#) == "&amp;&lt;&gt;&quot;&#39;")
        }

        func point(_ offset: TimeInterval, succeeded: Int, failed: Int = 0, retried: Int = 0, node: String = "node-a") -> JobStatsReport.Point {
            .init(minute: since.addingTimeInterval(offset), node: node, kind: "k", succeeded: succeeded, failed: failed, retried: retried, runMilliseconds: 5)
        }

        @Test("perMinute: finished jobs (succeeded and failed, not retried) by minute since the start; points outside the window ignored")
        func perMinute() {
            let points = [
                point(-60, succeeded: 100),           // the minute before the window
                point(0, succeeded: 1, failed: 1),
                point(60, succeeded: 3, retried: 7),
                point(60, succeeded: 1, failed: 1, node: "node-b"),
                point(4 * 60, succeeded: 4),          // the last minute of five
                point(5 * 60, succeeded: 100),        // the minute after it
                point(3600, succeeded: 100),
            ]
            #expect(ConsoleCharts.perMinute(points, since: since, minutes: 5) == [2, 5, 0, 0, 4])
            #expect(ConsoleCharts.perMinute([], since: since, minutes: 3) == [0, 0, 0])
        }

        @Test("sparkline: one point per minute, role=img with an escaped label and title")
        func sparkline() {
            let svg = ConsoleCharts.sparkline([0, 2, 1], label: "<node-a>: 3 jobs")
            #expect(svg.contains(#"role="img" aria-label="&lt;node-a&gt;: 3 jobs""#))
            #expect(svg.contains("<title>&lt;node-a&gt;: 3 jobs</title>"))
            let points = svg.firstMatch(of: #/points="([^"]*)"/#).map { String($0.1) } ?? ""
            #expect(points.split(separator: " ").count == 3, "\(points)")
            #expect(!svg.contains("<node-a>"))
        }

        @Test("usage: no hours, a sentence; hours, a line of peak use and one of licensed seats")
        func usage() throws {
            #expect(ConsoleCharts.usage([], kind: "agent", title: "t") == "<p class=\"muted\">No agent usage recorded yet.</p>")
            let hours = (0..<3).map { LicenseUsageHour(hour: since.addingTimeInterval(Double($0) * 3600), kind: "agent", inUse: $0, peak: $0 + 1, licensed: 5) }
                + [LicenseUsageHour(hour: since, kind: "user", inUse: 1, peak: 1, licensed: 2)]
            let svg = ConsoleCharts.usage(hours, kind: "agent", title: "agent seats <last 7 days>")
            #expect(svg.contains(#"role="img" aria-label="agent seats &lt;last 7 days&gt;""#))
            let lines = svg.matches(of: #/<polyline [^>]*points="([^"]*)"/>/#).map { $0.1.split(separator: " ").count }
            #expect(lines == [3, 3], "licensed and used, one point per hour of this kind only")
            #expect(svg.contains(#"data-time="2025-03-04T05:06:00Z""#) && svg.contains(#"data-time="2025-03-04T07:06:00Z""#))
        }
    }
}

// MARK: - Templates

extension ConsoleUnitTests {
    @Suite("Console templates: all parse, escape what they are given, and carry CSRF tokens and labels")
    struct Templates {
        @Test("every template parses, and the library (built at first use) has each of them")
        func allParse() {
            #expect(!ConsoleTemplates.all.isEmpty)
            for (name, text) in ConsoleTemplates.all.sorted(by: { $0.key < $1.key }) {
                #expect(throws: Never.self, "\(name)") { _ = try MustacheTemplate(string: text) }
            }
            #expect(ConsoleTemplates.library.failures.isEmpty, "\(ConsoleTemplates.library.failures)")
            for name in ConsoleTemplates.all.keys.sorted() {
                #expect(ConsoleTemplates.library.templates.getTemplate(named: name) != nil, "\(name)")
                #expect(!ConsoleTemplates.render(name, [:]).contains("console template \(name)"), "\(name)")
            }
        }

        @Test("every partial a template includes exists: a missing one would render as nothing")
        func partialsExist() {
            for (name, text) in ConsoleTemplates.all {
                for match in text.matches(of: #/\{\{>\s*([A-Za-z0-9_]+)\s*\}\}/#) {
                    #expect(ConsoleTemplates.all[String(match.1)] != nil, "\(name) includes \(match.1)")
                }
            }
            let agent = ConsoleTemplates.render("agent", ["canOperate": true, "id": "a1", "csrf": "token-1"])
            for field in [#"name="argv""#, #"name="env""#, #"name="secretEnv""#, #"name="cwd""#, #"name="timeout""#] {
                #expect(agent.contains(field), "the command form's \(field) (from the commandFields partial)")
            }
        }

        @Test("{{x}} escapes markup; {{{x}}} is only for the console's own HTML")
        func escaping() {
            let attack = #"<script>alert("x")</script>"#
            let message = ConsoleTemplates.render("message", ["message": attack, "back": "/console/\"><script>"])
            #expect(!message.contains("<script"), "\(message)")
            #expect(message.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
            let layout = ConsoleTemplates.render("layout", [
                "title": attack, "content": "<p id=\"made-by-the-console\">ok</p>", "servedBy": "<b>node</b>", "csrf": "\"><script>",
                "user": true, "username": attack, "navigation": [["label": "System", "href": "/console/", "current": true]],
            ])
            #expect(!layout.contains("<script>alert"), "\(layout)")
            #expect(!layout.contains("<b>node</b>"))
            #expect(layout.contains("<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; · Steward</title>"))
            #expect(layout.contains("<p id=\"made-by-the-console\">ok</p>"), "the page content is inserted as HTML")
            #expect(layout.contains(#"<a href="/console/" aria-current="page">System</a>"#))
            #expect(layout.contains(#"<input type="hidden" name="csrf" value="&quot;&gt;&lt;script&gt;">"#))
            let agents = ConsoleTemplates.render("agents", ["tag": attack, "agents": [], "states": []])
            #expect(!agents.contains("<script"), "\(agents)")
            #expect(agents.contains(#"value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;""#))
        }

        @Test("every form that posts carries a CSRF field (the login form its own login token)")
        func postFormsCarryCSRF() {
            var forms = 0
            for (name, text) in ConsoleTemplates.all {
                for chunk in text.components(separatedBy: "<form method=\"post\"").dropFirst() {
                    forms += 1
                    let form = chunk.components(separatedBy: "</form>")[0]
                    let expected = name == "login" ? #"name="csrf" value="{{loginToken}}""# : #"name="csrf" value="{{csrf}}""#
                    #expect(form.contains(expected), "a form in \(name) without its CSRF field: \(form.prefix(120))")
                }
            }
            #expect(forms >= 12, "the console's post forms were found (\(forms))")
        }

        @Test("every visible input, select and textarea has a <label for> its id, or an aria-label")
        func controlsLabelled() {
            for (name, text) in ConsoleTemplates.all {
                for control in text.matches(of: #/<(input|select|textarea)\b[^>]*>/#).map({ String($0.0) }) where !control.contains("type=\"hidden\"") {
                    if control.contains("aria-label=") { continue }
                    guard let id = control.firstMatch(of: #/ id="([^"]+)"/#)?.1 else {
                        Issue.record("\(name): a control with neither id nor aria-label: \(control)")
                        continue
                    }
                    #expect(text.contains("<label for=\"\(id)\""), "\(name): no label for \(id)")
                }
            }
        }
    }
}

// MARK: - Signal

extension ConsoleUnitTests {
    @Suite("Console signal: wakes live streams on NOTIFY, bounded by a timeout, ended by cancellation")
    struct Signal {
        /// Far longer than any wake-up may take, even on a loaded two-core machine, and far shorter than the timeouts that must not be waited out.
        static let promptly: Duration = .seconds(10)
        static let longTimeout: Duration = .seconds(30)

        /// Runs `wait` in a task of its own and returns how long it took to return, or nil if it had
        /// not within `bound`: a lost wake-up (a continuation never resumed) then fails the test
        /// instead of hanging the run. `cancelAfter` cancels that task after a delay.
        static func returnTime(bound: Duration = .seconds(45), cancelAfter: Duration? = nil,
                               _ wait: @escaping @Sendable () async -> Void) async -> Duration? {
            let (results, sink) = AsyncStream<Duration?>.makeStream()
            let started = ContinuousClock.now
            let waiter = Task {
                await wait()
                sink.yield(ContinuousClock.now - started)
            }
            let limit = Task {
                try? await Task.sleep(for: bound)
                sink.yield(nil)
            }
            let canceller = cancelAfter.map { delay in
                Task {
                    try? await Task.sleep(for: delay)
                    waiter.cancel()
                }
            }
            defer {
                limit.cancel()
                canceller?.cancel()
                sink.finish()
            }
            for await result in results { return result }
            return nil
        }

        @Test("a wait returns when fire() is called before its timeout, and the generation has moved")
        func firedBeforeTimeout() async throws {
            let signal = ConsoleSignal()
            let seen = signal.generation
            let firing = Task {
                try? await Task.sleep(for: .milliseconds(200))
                signal.fire()
            }
            let elapsed = try #require(await Self.returnTime { await signal.wait(since: seen, timeout: Self.longTimeout) }, "never returned")
            #expect(elapsed < Self.promptly, "woken \(elapsed) after waiting, timeout \(Self.longTimeout)")
            #expect(signal.generation == seen + 1)
            await firing.value
        }

        @Test("one fire() wakes every waiter")
        func wakesAll() async throws {
            let signal = ConsoleSignal()
            let seen = signal.generation
            let firing = Task {
                try? await Task.sleep(for: .milliseconds(200))
                signal.fire()
            }
            let elapsed = try #require(await Self.returnTime {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<20 { group.addTask { await signal.wait(since: seen, timeout: Self.longTimeout) } }
                }
            }, "not every waiter returned")
            #expect(elapsed < Self.promptly, "the last of 20 waiters woken after \(elapsed)")
            await firing.value
        }

        @Test("never fired, a wait returns after its timeout, not before; and so does the next one")
        func timesOut() async throws {
            let signal = ConsoleSignal()
            let timeout: Duration = .milliseconds(300)
            for round in 1...2 {
                let elapsed = try #require(await Self.returnTime { await signal.wait(since: signal.generation, timeout: timeout) }, "round \(round)")
                // A timed-out waiter leaves nothing behind that would end the next wait early.
                #expect(elapsed >= timeout, "round \(round): returned after \(elapsed)")
                #expect(elapsed < Self.promptly, "round \(round): returned after \(elapsed)")
            }
            #expect(signal.generation == 0, "a timeout is not a fire")
        }

        @Test("when the generation already moved past what the caller saw, a wait returns at once")
        func alreadyMoved() async throws {
            let signal = ConsoleSignal()
            let seen = signal.generation
            signal.fire()
            signal.fire()
            let elapsed = try #require(await Self.returnTime { await signal.wait(since: seen, timeout: Self.longTimeout) })
            #expect(elapsed < Self.promptly)
            let stale = try #require(await Self.returnTime { await signal.wait(since: seen + 1, timeout: Self.longTimeout) })
            #expect(stale < Self.promptly, "any generation but the current one returns at once")
        }

        @Test("a waiting task that is cancelled returns without waiting for its timeout")
        func cancelledWhileWaiting() async throws {
            let signal = ConsoleSignal()
            // The cancel is delayed so that it finds the task waiting; what is measured is the wait's return.
            let elapsed = try #require(await Self.returnTime(cancelAfter: .milliseconds(200)) {
                await signal.wait(since: signal.generation, timeout: Self.longTimeout)
            }, "never returned")
            #expect(elapsed < Self.promptly, "returned \(elapsed) after starting to wait, timeout \(Self.longTimeout)")
            #expect(signal.generation == 0, "cancellation is not a fire")
        }

        @Test("a task already cancelled when it starts to wait returns at once")
        func cancelledBeforeWaiting() async throws {
            let signal = ConsoleSignal()
            let elapsed = try #require(await Self.returnTime {
                withUnsafeCurrentTask { $0?.cancel() }
                await signal.wait(since: signal.generation, timeout: Self.longTimeout)
            }, "never returned")
            #expect(elapsed < Self.promptly, "returned after \(elapsed)")
        }
    }
}
