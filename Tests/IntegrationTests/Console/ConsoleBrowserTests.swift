import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// The console in Debian's headless Chromium, driven over WebDriver: through a real HAProxy while
/// nodes die, against the API's own numbers, and under hostile forms and injected script.
@Suite("Console in a real browser")
struct ConsoleBrowserTests {
    /// `cluster.node.offline.after` in the test cluster (TestCluster.properties), and the issue's allowance on top.
    static let detectionBound: Duration = .seconds(4)
    static let liveAllowance: Duration = .seconds(2)

    @Test("through HAProxy: log in, see three nodes online; SIGKILL the session's node: the open map shows it offline within the bound, the console goes on without a new login, and decommission asks, refuses online and serving nodes, and is audited")
    func failoverAndDecommission() async throws {
        try await TestCluster.with { cluster in
            var nodes: [ServerProcess] = []
            for name in ["node-1", "node-2", "node-3"] { nodes.append(try await cluster.start(name, extra: TestCluster.behindProxy)) }
            let balancer = try await TestLoadBalancer(nodes: nodes, caCertificatePEM: cluster.caCertificate(), folder: cluster.folder)
            try await withAsyncCleanup {
                try await withBrowser { browser in
                    let base = balancer.reencryptURL
                    try await browser.logIn(at: base)
                    try await browser.wait(timeout: .seconds(15), description: "three nodes online on the map") {
                        try await browser.mapStates().values.filter { $0 == "online" }.count == 3
                    }
                    try await browser.wait(timeout: .seconds(10), description: "the live stream connected") {
                        try await browser.find("#live-status").text().hasPrefix("live")
                    }
                    try await browser.saveScreenshot("console-system.png")
                    let serving = try await browser.servingNode()
                    let victim = try #require(nodes.first { $0.name == serving }, "served by \(serving)")
                    _ = try await browser.execute("window.stewardMarker = 'the same page'; return 1")

                    let killed = ContinuousClock.now
                    await victim.kill9()
                    try await browser.wait(timeout: .seconds(30), description: "\(serving) offline on the open map") {
                        try await browser.mapStates()[serving] == "offline"
                    }
                    let took = ContinuousClock.now - killed
                    print("console: \(serving) shown offline \(took) after SIGKILL (bound \(Self.detectionBound) + \(Self.liveAllowance))")
                    #expect(took <= Self.detectionBound + Self.liveAllowance, "shown offline after \(took)")
                    #expect(try await browser.execute("return window.stewardMarker") as? String == "the same page", "the page was reloaded")
                    #expect(try await browser.mapStates().values.filter { $0 == "online" }.count == 2)
                    try await browser.saveScreenshot("console-node-offline.png")

                    // The same browser goes on, on another node, with the same session.
                    try await browser.navigate(to: base + "/console/nodes")
                    #expect(try await browser.currentURL().hasSuffix("/console/nodes"), "sent to log in again")
                    let nowServing = try await browser.servingNode()
                    #expect(nowServing != serving && !nowServing.isEmpty)
                    let online = try #require(nodes.map(\.name).first { $0 != serving && $0 != nowServing })

                    // An online node offers no Decommission; forced, the API refuses it.
                    try await browser.navigate(to: base + "/console/nodes/\(online)")
                    #expect(try await browser.findAll("a[href$='/decommission']").isEmpty)
                    try await browser.navigate(to: base + "/console/nodes/\(online)/decommission")
                    try await browser.find("main form button.danger").click()
                    let refusedOnline = try await browser.errorText() ?? ""
                    #expect(refusedOnline.contains("\(online) is online") || refusedOnline.contains("still running"), "\(refusedOnline)")
                    // Nor the node serving the page.
                    try await browser.navigate(to: base + "/console/nodes/\(nowServing)/decommission")
                    try await browser.find("main form button.danger").click()
                    let refusedSelf = try await browser.errorText() ?? ""
                    #expect(refusedSelf.contains("serving this page"), "\(refusedSelf)")

                    // The dead node: Decommission, confirm, done, audited.
                    try await browser.navigate(to: base + "/console/nodes/\(serving)")
                    try await browser.find("a[href$='/\(serving)/decommission']").click()
                    #expect(try await browser.waitFor("main form p").text().contains("Decommission \(serving)?"))
                    try await browser.saveScreenshot("console-decommission-confirm.png")
                    try await browser.find("main form button.danger").click()
                    try await browser.wait(timeout: .seconds(10), description: "the decommissioned node's page") {
                        (try? await browser.find("#node-state").text()) == "decommissioned"
                    }
                    #expect(try await browser.find(".notice").text().contains("decommissioned"))
                    try await browser.navigate(to: base + "/console/audit?action=node.decommission")
                    let audit = try await browser.find("#audit tbody").text()
                    #expect(audit.contains("admin") && audit.contains(serving) && audit.contains("node.decommission"), "\(audit)")
                }
            } cleanup: {
                await balancer.stop()
            }
        }
    }

    @Test("the job charts show per node, per type, and per node and type what stewardctl jobs stats --json shows for the same hour")
    func chartsMatchStewardctl() async throws {
        try await TestCluster.with { cluster in
            let nodes = [try await cluster.startWorker("node-a"), try await cluster.startWorker("node-b")]
            let admin = try await cluster.adminClient(nodes[0])
            var requests = (0..<8).map { recordJob("chart-\($0)") }
            requests += (0..<3).map { _ in JobEnqueueRequest(kind: "test.fail", arguments: .object([:]), maxAttempts: 1) }
            _ = try await admin.enqueueJobs(requests)
            try await waitFor("the jobs to finish", timeout: .seconds(60)) {
                let rows = try await admin.jobStats(by: "kind").rows
                return rows.first { $0.kind == "test.record" }?.succeeded == 8 && rows.first { $0.kind == "test.fail" }?.failed == 3
            }
            let ctl = try await StewardctlJobsTests.ctl(cluster, nodes[1])
            try await withBrowser { browser in
                try await browser.logIn(at: nodes[0].httpsURL)
                for choice in ["node", "kind", "node,kind"] {
                    // The selector submits itself on change (script), as the button does without it.
                    if choice == "node" {
                        try await browser.navigate(to: nodes[0].httpsURL + "/console/")
                    } else {
                        try await browser.find("#chart option[value='\(choice)']").click()
                        try await browser.wait(timeout: .seconds(10), description: "the \(choice) chart") {
                            try await browser.currentURL().contains("chart=" + (choice.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                        }
                    }
                    // Jobs of the node's own (housekeeping) may finish between the two reads: compare until they agree.
                    try await waitFor("the \(choice) chart to match stewardctl", timeout: .seconds(20)) {
                        let output = try await ctl(["jobs", "stats", "--by", choice, "--json"])
                        let report = try JSONDecoder.iso.decode(JobStatsReport.self, from: Data(output.output.utf8))
                        let expected = Set(report.rows.map { "\($0.node ?? "")|\($0.kind ?? "")|\($0.succeeded)|\($0.failed)" })
                        let shown = try await browser.execute("""
                            return Array.from(document.querySelectorAll('#live-chart tr.stat-row')).map(function (r) {
                              return [r.getAttribute('data-node'), r.getAttribute('data-kind'), r.querySelector('.succeeded').textContent, r.querySelector('.failed').textContent].join('|');
                            });
                            """) as? [String] ?? []
                        return Set(shown) == expected && !expected.isEmpty
                    }
                    let bars = try await browser.findAll("#live-chart svg rect[fill]")
                    #expect(!bars.isEmpty, "the \(choice) chart draws bars")
                }
                try await browser.saveScreenshot("console-jobs-chart.png")
            }
        }
    }

    @Test("a form without its CSRF token, or with another session's, is refused; a viewer sees no admin pages, even by URL; nothing loads from outside; the CSP blocks injected inline script")
    func hostileForms() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            _ = try await admin.createUser("vera", password: "viewer-password-1", role: .viewer)
            try await withBrowser { browser in
                let base = node.httpsURL
                try await browser.logIn(at: base)
                // No token: the hidden field removed before posting.
                try await browser.navigate(to: base + "/console/account")
                _ = try await browser.execute("document.querySelector('form[action=\"/console/account/tokens\"] input[name=csrf]').remove(); return 1")
                try await browser.find("#token-name").type("no-token")
                try await browser.find("form[action='/console/account/tokens'] button").click()
                #expect(try await browser.errorText()?.contains("security token") == true)
                // Another session's token.
                let other = try await StewardClient(baseURL: base, trust: .caFile(cluster.caFile))
                    .loginForSession(username: "admin", password: TestCluster.adminPassword)
                try await browser.navigate(to: base + "/console/account")
                _ = try await browser.execute("document.querySelector('form[action=\"/console/account/tokens\"] input[name=csrf]').value = arguments[0]; return 1",
                                              [other.csrfToken])
                try await browser.find("#token-name").type("other-token")
                try await browser.find("form[action='/console/account/tokens'] button").click()
                #expect(try await browser.errorText()?.contains("security token") == true)
                #expect(try await admin.tokens(everyone: true).allSatisfy { !["no-token", "other-token"].contains($0.name) }, "a refused form made a token")

                // Injected inline script does not run, and the browser reports the CSP refusal.
                _ = try await browser.browserLog()
                let ran = try await browser.execute("""
                    var s = document.createElement('script'); s.textContent = 'window.stewardInjected = true;'; document.body.appendChild(s);
                    return window.stewardInjected === true;
                    """) as? Bool
                #expect(ran == false, "inline script ran")
                let log = try await browser.browserLog().map(\.message).joined(separator: "\n")
                #expect(log.contains("Content Security Policy"), "\(log)")

                // Everything every page loaded came from this node.
                for path in ["/console/", "/console/nodes", "/console/agents", "/console/jobs", "/console/licenses", "/console/account"] {
                    try await browser.navigate(to: base + path)
                    let urls = try await browser.execute("return performance.getEntriesByType('resource').map(function (e) { return e.name; }).concat([location.href]);") as? [String] ?? []
                    let outside = urls.filter { !$0.hasPrefix(base + "/") }
                    #expect(outside.isEmpty, "\(path) loaded \(outside)")
                }
                let requested = try await browser.performanceLog().compactMap { entry -> String? in
                    guard entry.contains("Network.requestWillBeSent"), let range = entry.range(of: #""url":"[^"]*""#, options: .regularExpression) else { return nil }
                    return String(entry[range].dropFirst(7).dropLast())
                }
                // (The browser's own chrome:// pages, from before the first navigation, are not the console's.)
                let network = requested.filter { $0.hasPrefix("http") || $0.hasPrefix("ws") }
                #expect(!network.isEmpty && network.allSatisfy { $0.hasPrefix(base + "/") }, "\(network.filter { !$0.hasPrefix(base + "/") })")

                // A viewer: no admin links, and a forced URL is refused.
                try await browser.find("form.logout button").click()
                try await browser.waitFor("#username")
                try await browser.logIn(at: base, username: "vera", password: "viewer-password-1")
                let links = try await browser.execute("return Array.from(document.querySelectorAll('nav a')).map(function (a) { return a.textContent; });") as? [String] ?? []
                #expect(!links.contains("Users") && !links.contains("Audit") && links.contains("Nodes"), "\(links)")
                for path in ["/console/users", "/console/audit"] {
                    try await browser.navigate(to: base + path)
                    #expect(try await browser.errorText()?.contains("admin role") == true, "\(path) shown to a viewer")
                    #expect(try await browser.findAll("#users, #audit").isEmpty)
                }
                try await browser.saveScreenshot("console-viewer-refused.png")
            }
        }
    }

    @Test("every page names each control and is usable from the keyboard; an operator runs a command on an agent and follows its output live")
    func keyboardAndCommands() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            let agent = try await AgentProcess.start("web-1", in: cluster.folder, enrollThrough: node, admin: admin, tags: ["web"])
            try await withAsyncCleanup {
                try await waitFor("web-1 online") { try await admin.agent(agent.agentID).state == "online" }
                try await withBrowser { browser in
                    let base = node.httpsURL
                    try await browser.navigate(to: base + "/console/login")
                    try await browser.expectUsableFromKeyboard("login")
                    try await browser.saveScreenshot("console-login.png")
                    try await browser.logIn(at: base)

                    try await browser.navigate(to: base + "/console/agents?tag=web")
                    try await browser.find("a[href='/console/agents/\(agent.agentID.uuidString.lowercased())']").click()
                    try await browser.waitFor("#argv").type("/bin/sh\n-c\necho first; sleep 1; echo second")
                    try await browser.find("form[action$='/commands'] button").click()
                    try await browser.waitFor("#output")
                    _ = try await browser.execute("window.stewardMarker = 'followed'; return 1")
                    try await browser.wait(timeout: .seconds(30), description: "the command's output, live") {
                        try await browser.find("#command-state").text() == "succeeded"
                    }
                    #expect(try await browser.find("#output").text() == "first\nsecond")
                    #expect(try await browser.find("#command-exit").text() == "0")
                    #expect(!(try await browser.find("#command-finished").text()).isEmpty, "the finish time, live")
                    #expect(try await browser.findAll("#cancel-form").isEmpty, "Cancel offered for a finished command")
                    #expect(try await browser.execute("return window.stewardMarker") as? String == "followed", "the page was reloaded")
                    try await browser.saveScreenshot("console-command.png")
                    try await browser.expectUsableFromKeyboard("a command")

                    let pages = ["/console/", "/console/nodes", "/console/nodes/node-a", "/console/agents",
                                 "/console/agents/\(agent.agentID.uuidString.lowercased())", "/console/jobs", "/console/schedules",
                                 "/console/licenses", "/console/users", "/console/account", "/console/audit"]
                    for path in pages {
                        try await browser.navigate(to: base + path)
                        try await browser.expectUsableFromKeyboard(path)
                    }
                    // A schedule's firings, and a confirmation page.
                    try await browser.navigate(to: base + "/console/schedules")
                    try await browser.find("#schedules tbody a").click()
                    try await browser.waitFor("#firings")
                    try await browser.expectUsableFromKeyboard("a schedule")
                    try await browser.navigate(to: base + "/console/agents/\(agent.agentID.uuidString.lowercased())/revoke")
                    try await browser.expectUsableFromKeyboard("the revoke confirmation")
                    for (path, name) in [("/console/agents", "console-agents.png"), ("/console/jobs", "console-jobs.png"),
                                         ("/console/licenses", "console-licenses.png"), ("/console/users", "console-users.png")] {
                        try await browser.navigate(to: base + path)
                        try await browser.saveScreenshot(name)
                    }
                }
            } cleanup: {
                await agent.stop()
            }
        }
    }
}
