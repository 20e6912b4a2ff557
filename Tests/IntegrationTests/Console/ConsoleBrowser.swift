import Foundation
import StewardTesting
import Testing

/// What the console tests do in a browser: log in with the form, read the node map, check a page
/// for accessible names and keyboard reach, and save screenshots for docs/console.md.
extension WebDriver {
    func logIn(at base: String, username: String = "admin", password: String = TestCluster.adminPassword) async throws {
        try await navigate(to: base + "/console/")
        let field = try await waitFor("#username")
        try await field.clear()
        try await field.type(username)
        try await find("#password").type(password)
        try await find("main form button[type=submit]").click()
        try await wait(timeout: .seconds(15), description: "the console after logging in as \(username)") {
            (try? await find("nav[aria-label=Main]")) != nil
        }
    }

    /// The node map's state of each node, as the page shows it now.
    func mapStates() async throws -> [String: String] {
        let pairs = try await execute("""
            return Array.from(document.querySelectorAll('#live-map [data-node]')).map(function (n) { return [n.getAttribute('data-node'), n.getAttribute('data-state')]; });
            """) as? [[String]] ?? []
        return Dictionary(pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }, uniquingKeysWith: { $1 })
    }

    /// The node named in the footer ("Served by node X").
    func servingNode() async throws -> String {
        let footer = try await find("footer").text()
        return String(footer.split(separator: " ").dropFirst(3).first ?? "")
    }

    /// The page's error, once the page that shows it has loaded (a click may return before the
    /// answer to the form it posted has arrived).
    func errorText(timeout: Duration = .seconds(10)) async throws -> String? {
        guard let element = try? await waitFor("main .error", timeout: timeout) else { return nil }
        return try await element.text()
    }

    /// Saves the page as `name` into STEWARD_SCREENSHOT_DIR (docs/images when the docs are
    /// refreshed), else into .build/console-screenshots.
    func saveScreenshot(_ name: String) async throws {
        let folder = ProcessInfo.processInfo.environment["STEWARD_SCREENSHOT_DIR"] ?? Binaries.packageRoot + "/.build/console-screenshots"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try await screenshot().write(to: URL(fileURLWithPath: folder + "/" + name))
    }

    /// Every control has an accessible name, and Tab reaches every visible one.
    func expectUsableFromKeyboard(_ page: String) async throws {
        let selector = "a[href], button, input:not([type=hidden]), select, textarea"
        let controls = try await findAll(selector)
        for control in controls {
            let label = try await control.computedLabel().trimmingCharacters(in: .whitespacesAndNewlines)
            if label.isEmpty {
                let html = try await execute("return arguments[0].outerHTML.slice(0, 200)", [control]) as? String ?? "?"
                Issue.record("\(page): a control has no accessible name: \(html)")
            }
        }
        _ = try await execute("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); return 1")
        var reached: Set<String> = []
        for _ in 0..<(controls.count + 2) {
            try await pressKeys(WebDriver.tab)
            reached.insert(try await activeElement().id)
        }
        for control in controls where !reached.contains(control.id) {
            guard try await control.isDisplayed() else { continue }
            let html = try await execute("return arguments[0].outerHTML.slice(0, 200)", [control]) as? String ?? "?"
            Issue.record("\(page): Tab never reaches \(html)")
        }
    }
}

extension TestCluster {
    /// The nodes' own HTTPS, with HAProxy in front (variant B: TLS ended there, cookie affinity).
    static let behindProxy: [String: String?] = ["server.trusted.proxies": "127.0.0.1"]
}

/// A browser, quit whatever the test did.
func withBrowser(_ body: (WebDriver) async throws -> Void) async throws {
    // Tall enough that a screenshot holds a whole page with its chart.
    let browser = try await WebDriver.start(extraArguments: ["--window-size=1280,1400"])
    try await withAsyncCleanup {
        try await body(browser)
    } cleanup: {
        await browser.quit()
    }
}
