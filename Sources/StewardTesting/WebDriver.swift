// A minimal W3C WebDriver client for driving headless Chromium through chromedriver in tests.
// Hand-written because the package mirror has no maintained Swift WebDriver client, and the W3C
// protocol is a handful of JSON-over-HTTP calls (https://www.w3.org/TR/webdriver2/). Even the HTTP
// is by hand, over a loopback socket: FoundationNetworking rejects chromedriver's answers (below).
import Foundation
import Glibc

/// A WebDriver error answer (`{"value":{"error":…,"message":…}}`), a bad answer, or a wait that timed out.
public struct WebDriverError: Error, CustomStringConvertible {
    public let command: String
    public let error: String
    public let message: String
    public var description: String { "WebDriver \(command) failed: \(error): \(message)" }
}

/// One chromedriver process with one Chromium session, ended by `quit()`.
public final class WebDriver: Sendable {
    public static let tab = "\u{E004}"
    public static let enter = "\u{E007}"
    public static let shift = "\u{E008}"
    public static let escape = "\u{E00C}"
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let process: Process
    let port: Int
    let session: String
    let folder: URL

    private init(process: Process, port: Int, session: String, folder: URL) {
        self.process = process; self.port = port; self.session = session; self.folder = folder
    }

    /// Starts chromedriver on a free loopback port and opens a headless Chromium session.
    /// `extraArguments` are appended to Chromium's command line.
    public static func start(extraArguments: [String] = []) async throws -> WebDriver {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("steward-webdriver-\(UUID().uuidString)")
        let profile = folder.appendingPathComponent("profile")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let logFile = folder.appendingPathComponent("chromedriver.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)

        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable(["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]))
        process.arguments = ["--port=\(port)"]
        let log = try FileHandle(forWritingTo: logFile)
        (process.standardInput, process.standardOutput, process.standardError) = (FileHandle.nullDevice, log, log)
        try process.run()
        let starting = WebDriver(process: process, port: port, session: "", folder: folder)
        do {
            let deadline = ContinuousClock.now + .seconds(20)
            while true {
                if let status = try? await starting.request("GET", "/status", nil, timeout: 2) as? [String: Any],
                   status["ready"] as? Bool == true { break }
                let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
                guard alive(process.processIdentifier) else {
                    throw WebDriverError(command: "start", error: "chromedriver exited", message: log)
                }
                guard ContinuousClock.now < deadline else {
                    throw WebDriverError(command: "start", error: "timeout", message: "chromedriver not ready after 20 s: \(log)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            // /usr/bin/chromium is Debian's launcher script (it adds extensions and GPU flags and
            // execs /usr/lib/chromium/chromium); use the real binary behind it when present.
            let binary = try executable(["/usr/lib/chromium/chromium", "/usr/bin/chromium"])
            let arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--window-size=1280,900", "--user-data-dir=\(profile.path)"] + extraArguments
            let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
                "browserName": "chrome", "acceptInsecureCerts": true,
                "goog:chromeOptions": ["binary": binary, "args": arguments],
                "goog:loggingPrefs": ["browser": "ALL", "performance": "ALL"],
            ] as [String: Any]]]
            let answer = try await starting.request("POST", "/session", capabilities, timeout: 60)
            guard let id = (answer as? [String: Any])?["sessionId"] as? String else {
                throw WebDriverError(command: "POST /session", error: "invalid response", message: "no sessionId in \(answer)")
            }
            return WebDriver(process: process, port: port, session: id, folder: folder)
        } catch {
            await starting.quit()
            throw error
        }
    }

    /// Ends the session (chromedriver then closes its Chromium) and stops chromedriver, kills any
    /// Chromium left with this session's profile, and removes the profile.
    public func quit() async {
        if !session.isEmpty { _ = try? await request("DELETE", "/session/\(session)", nil, timeout: 15) }
        // GET /shutdown first: chromedriver inherits the signal mask of the Swift thread that started
        // it, where SIGTERM is blocked, so SIGTERM only helps when the mask happened to be clear.
        _ = try? await request("GET", "/shutdown", nil, timeout: 5)
        let pid = process.processIdentifier
        for signal in [SIGTERM, SIGKILL] {
            let deadline = ContinuousClock.now + .seconds(signal == SIGTERM ? 2 : 1)
            while Self.alive(pid), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if Self.alive(pid) { kill(pid, signal) }
        }
        // Chromium outlives chromedriver when the DELETE failed. Every Chromium process carries the
        // profile path; kill them until none is left, or a dying one writes into the removed profile.
        let marker = Substring("--user-data-dir=\(folder.appendingPathComponent("profile").path)")
        let killing = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < killing {
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry -> pid_t? in
                guard let other = pid_t(entry), Self.alive(other),
                      let line = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
                return String(decoding: line, as: UTF8.self).split(separator: "\0").contains(marker) ? other : nil
            }
            if left.isEmpty { break }
            left.forEach { kill($0, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        try? FileManager.default.removeItem(at: folder)
    }

    public func navigate(to url: String) async throws { try await send("POST", "/url", ["url": url]) }
    public func currentURL() async throws -> String { try await typed("GET", "/url") }
    public func title() async throws -> String { try await typed("GET", "/title") }
    public func pageSource() async throws -> String { try await typed("GET", "/source") }

    /// The first element matching `css`; throws `no such element` when there is none.
    public func find(_ css: String) async throws -> WebElement { try await typed("POST", "/element", Self.locator(css)) }
    public func findAll(_ css: String) async throws -> [WebElement] { try await elements("/elements", css) }
    public func activeElement() async throws -> WebElement { try await typed("GET", "/element/active") }

    /// Polls until an element matches `css`.
    public func waitFor(_ css: String, timeout: Duration = .seconds(10)) async throws -> WebElement {
        var found: WebElement?
        try await wait(timeout: timeout, description: "an element matching \(css)") {
            found = try await findAll(css).first
            return found != nil
        }
        return found!
    }

    /// Polls `condition` until it is true; throws a timeout error naming `description`. Errors
    /// thrown by `condition` end the wait at once.
    public func wait(timeout: Duration, pollEvery: Duration = .milliseconds(100), description: String,
                     isolation: isolated (any Actor)? = #isolation, until condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                throw WebDriverError(command: "wait", error: "timeout", message: "\(description) not there after \(timeout)")
            }
            try await Task.sleep(for: pollEvery)
        }
    }

    /// Runs `script` as a function body (`return …` gives the result). `arguments` may hold
    /// JSON values and `WebElement`s; elements in the result come back as `WebElement`, null as nil.
    public func execute(_ script: String, _ arguments: [any Sendable] = []) async throws -> sending Any? {
        let value = try await send("POST", "/execute/sync", ["script": script, "args": arguments.map(encode)])
        let decoded = decode(value)
        return decoded is NSNull ? nil : decoded
    }

    /// A PNG of the viewport.
    public func screenshot() async throws -> Data {
        guard let data = Data(base64Encoded: try await typed("GET", "/screenshot", as: String.self)) else {
            throw WebDriverError(command: "GET /screenshot", error: "invalid response", message: "not base64")
        }
        return data
    }

    /// Presses and releases each character in turn (use `WebDriver.tab`, `.enter`, … for keys).
    public func pressKeys(_ keys: String) async throws {
        try await keyActions(keys.flatMap { [("keyDown", String($0)), ("keyUp", String($0))] })
    }

    public func pressShiftTab() async throws {
        try await keyActions([("keyDown", Self.shift), ("keyDown", Self.tab), ("keyUp", Self.tab), ("keyUp", Self.shift)])
    }

    /// Console messages since the last call (chromedriver drains the buffer on each read).
    public func browserLog() async throws -> [(level: String, message: String)] {
        try await log("browser").map { ($0["level"] as? String ?? "", $0["message"] as? String ?? "") }
    }

    /// DevTools events since the last call, each a JSON text (`{"message":{"method":…,"params":…}}`).
    public func performanceLog() async throws -> [String] {
        try await log("performance").compactMap { $0["message"] as? String }
    }

    /// Cookies visible to the current page, as WebDriver gives them (name, value, path, domain, secure, httpOnly, …).
    public func cookies() async throws -> sending [[String: Any]] {
        let value = try await send("GET", "/cookie")
        return (value as? [[String: Any]]) ?? []
    }

    public func deleteCookie(_ name: String) async throws { try await send("DELETE", "/cookie/\(Self.segment(name))") }

    /// Sets a cookie for the current page's domain.
    public func addCookie(name: String, value: String, secure: Bool, httpOnly: Bool, path: String) async throws {
        try await send("POST", "/cookie", ["cookie": ["name": name, "value": value, "secure": secure, "httpOnly": httpOnly, "path": path]])
    }

    // MARK: Protocol plumbing

    /// A command within the session; returns the answer's `value`.
    @discardableResult
    func send(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any {
        try await request(method, "/session/\(session)\(path)", body ?? (method == "POST" ? [:] : nil), timeout: 60, name: "\(method) \(path)")
    }

    func request(_ method: String, _ path: String, _ body: [String: Any]?, timeout: Int, name: String? = nil) async throws -> Any {
        let command = name ?? "\(method) \(path)"
        guard body.map(JSONSerialization.isValidJSONObject) ?? true else {
            throw WebDriverError(command: command, error: "invalid argument", message: "not JSON: \(body!)")
        }
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
            + "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(payload.count)\r\n\r\n"
        let port = port, request = Data(head.utf8) + payload
        let (status, data) = try await withCheckedThrowingContinuation { done in
            // The socket calls block, so they get a thread of their own rather than one of Swift's few pool threads.
            Thread.detachNewThread { done.resume(with: Result { try Self.exchange(port, request, timeout, command) }) }
        }
        guard let answer = (try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)) as? [String: Any] else {
            throw WebDriverError(command: command, error: "invalid response", message: "HTTP \(status): \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        let value = answer["value"] ?? NSNull()
        if let failure = value as? [String: Any], let error = failure["error"] as? String {
            var message = (failure["message"] as? String ?? "").split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            if message.hasPrefix(error + ": ") { message.removeFirst(error.count + 2) } // chromedriver repeats the error
            throw WebDriverError(command: command, error: error, message: message)
        }
        guard (200..<300).contains(status) else {
            throw WebDriverError(command: command, error: "HTTP \(status)", message: String(decoding: data.prefix(500), as: UTF8.self))
        }
        return value
    }

    /// One HTTP/1.1 exchange on a fresh loopback connection: the status and the body. Hand-made
    /// because FoundationNetworking (6.3) rejects chromedriver's `Content-Length:252` headers
    /// (no space after the colon; swift-corelibs-foundation#5527).
    private static func exchange(_ port: Int, _ request: Data, _ timeout: Int, _ command: String) throws -> (Int, Data) {
        func failure(_ what: String) -> WebDriverError {
            WebDriverError(command: command, error: "connection", message: "\(what): \(String(cString: strerror(errno)))")
        }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw failure("socket") }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard loopback(port, { connect(descriptor, $0, $1) }) == 0 else { throw failure("connect to 127.0.0.1:\(port)") }
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw failure("send") }
            sent += count
        }
        // chromedriver answers "Connection:close" but keeps the socket open: read Content-Length bytes.
        var received = Data(), buffer = [UInt8](repeating: 0, count: 65536), head: String?, bodyStart = 0
        while head == nil || received.count - bodyStart < Self.contentLength(head!) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count >= 0 else { throw failure("receive") }
            guard count > 0 else { break }
            received.append(contentsOf: buffer[0..<count])
            if head == nil, let end = received.range(of: Data("\r\n\r\n".utf8)) {
                head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                bodyStart = end.upperBound
            }
        }
        guard let head, let status = head.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw WebDriverError(command: command, error: "invalid response", message: String(decoding: received.prefix(200), as: UTF8.self))
        }
        return (status, received[bodyStart...])
    }

    private static func contentLength(_ head: String) -> Int {
        head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? Int.max
    }

    /// A command's answer, decoded (element references become `WebElement`s) and checked to be a `T`.
    func typed<T>(_ method: String, _ path: String, _ body: [String: Any]? = nil, as _: T.Type = T.self) async throws -> T {
        let value = decode(try await send(method, path, body))
        guard let result = value as? T else {
            throw WebDriverError(command: "\(method) \(path)", error: "invalid response", message: "expected \(T.self), got \(value)")
        }
        return result
    }

    func elements(_ path: String, _ css: String) async throws -> [WebElement] {
        try await typed("POST", path, Self.locator(css), as: [Any].self).compactMap { $0 as? WebElement }
    }

    private func log(_ type: String) async throws -> [[String: Any]] {
        // chromedriver serves the legacy log command at /se/log in W3C mode.
        try await send("POST", "/se/log", ["type": type]) as? [[String: Any]] ?? []
    }

    private func keyActions(_ steps: [(String, String)]) async throws {
        let actions = steps.map { ["type": $0.0, "value": $0.1] }
        try await send("POST", "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions] as [String: Any]]])
        try await send("DELETE", "/actions") // releases anything still pressed
    }

    private func encode(_ value: any Sendable) -> Any {
        switch value {
        case let element as WebElement: [Self.elementKey: element.id]
        case let array as [any Sendable]: array.map(encode)
        case let object as [String: any Sendable]: object.mapValues(encode)
        default: value
        }
    }

    private func decode(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            if object.count == 1, let id = object[Self.elementKey] as? String { return WebElement(id: id, driver: self) }
            return object.mapValues(decode)
        }
        if let array = value as? [Any] { return array.map(decode) }
        return value
    }

    static func locator(_ css: String) -> [String: Any] { ["using": "css selector", "value": css] }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }

    private static func executable(_ candidates: [String]) throws -> String {
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw WebDriverError(command: "start", error: "not installed", message: "none of \(candidates) (apt-get install chromium chromium-driver)")
        }
        return path
    }

    /// True while `pid` exists and is not a zombie (Foundation may reap late, or not at all).
    private static func alive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return !stat[close...].hasPrefix(") Z")
    }

    /// A port the kernel just gave to a socket bound to 127.0.0.1:0 (free again once it is closed).
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { if descriptor >= 0 { close(descriptor) } }
        var port = 0
        guard descriptor >= 0, loopback(0, { address, length in
            var length = length
            guard bind(descriptor, address, length) == 0, getsockname(descriptor, address, &length) == 0 else { return -1 }
            port = Int(UInt16(bigEndian: address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }))
            return 0
        }) == 0 else { throw WebDriverError(command: "start", error: "free port", message: String(cString: strerror(errno))) }
        return port
    }

    /// Calls `body` with the address 127.0.0.1:`port`.
    private static func loopback(_ port: Int, _ body: (UnsafeMutablePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

/// An element of the current page; equal to another when WebDriver gives both the same id.
public struct WebElement: Sendable, Hashable {
    public let id: String
    public let driver: WebDriver

    public static func == (lhs: WebElement, rhs: WebElement) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    public func click() async throws { try await driver.send("POST", path("/click")) }
    public func clear() async throws { try await driver.send("POST", path("/clear")) }
    /// Types `text` into the element (focusing it first), as key presses.
    public func type(_ text: String) async throws { try await driver.send("POST", path("/value"), ["text": text]) }
    public func text() async throws -> String { try await driver.typed("GET", path("/text")) }
    public func attribute(_ name: String) async throws -> String? {
        try await driver.send("GET", path("/attribute/\(WebDriver.segment(name))")) as? String
    }
    /// The DOM property as text (numbers and booleans too); nil when it is null or undefined.
    public func property(_ name: String) async throws -> String? {
        let value = try await driver.send("GET", path("/property/\(WebDriver.segment(name))"))
        if value is NSNull { return nil }
        if let text = value as? String { return text }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: .fragmentsAllowed) { return String(decoding: data, as: UTF8.self) }
        return "\(value)"
    }
    /// The accessible name, as assistive technology would announce it.
    public func computedLabel() async throws -> String { try await driver.typed("GET", path("/computedlabel")) }
    public func computedRole() async throws -> String { try await driver.typed("GET", path("/computedrole")) }
    public func tagName() async throws -> String { try await driver.typed("GET", path("/name")) }
    public func isDisplayed() async throws -> Bool { try await driver.typed("GET", path("/displayed")) }
    public func find(_ css: String) async throws -> WebElement { try await driver.typed("POST", path("/element"), WebDriver.locator(css)) }
    public func findAll(_ css: String) async throws -> [WebElement] { try await driver.elements(path("/elements"), css) }

    private func path(_ tail: String) -> String { "/element/\(id)\(tail)" }
}
