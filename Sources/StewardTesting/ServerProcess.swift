import AsyncHTTPClient
import Foundation
import StewardClient

/// A real `steward-server` process started by a test, with its output in a file.
/// Stopped by process group; the watchdog kills it if the test process dies first.
public final class ServerProcess: Sendable {
    public let name: String
    public let configFile: String
    public let httpPort: Int
    public let httpsPort: Int
    public let webSocketPort: Int
    public let outputFile: String
    let process: ChildProcess

    /// `wrapper` runs before the server (for example `faketime -f +90s`), which it may exec or fork.
    init(name: String, configFile: String, ports: [Int], outputFile: String, arguments: [String], environment: [String: String],
         wrapper: [String] = [], binary: String? = nil) throws {
        self.name = name
        self.configFile = configFile
        (httpPort, httpsPort, webSocketPort) = (ports[0], ports[1], ports[2])
        self.outputFile = outputFile
        let command = wrapper + [try binary ?? Binaries.path("steward-server"), "--config", configFile] + arguments
        process = try ChildProcess(command[0], Array(command.dropFirst()), environment: environment, outputFile: outputFile)
        Watchdog.shared.watch(pid: process.pid)
    }

    public var pid: Int32 { process.pid }
    public var isRunning: Bool { process.isRunning || process.groupIsAlive }
    public var exitStatus: Int32? { process.status }

    /// This node's ports as `installed.properties` settings, to start a node again on the same ports.
    public var portSettings: [String: String?] {
        ["server.http.port": String(httpPort), "server.https.port": String(httpsPort), "server.websocket.port": String(webSocketPort)]
    }

    public var httpURL: String { "http://127.0.0.1:\(httpPort)" }
    public var httpsURL: String { "https://127.0.0.1:\(httpsPort)" }
    /// By name: TLS clients may not send an IP address as the server name (SNI).
    public var webSocketURL: String { "wss://localhost:\(webSocketPort)" }

    /// Everything the process printed so far.
    public var output: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }

    /// Waits until `/health/live` answers on the HTTP port; throws with the output if the process exits.
    public func waitUntilLive(timeout: Duration = .seconds(60)) async throws {
        let client = StewardClient(baseURL: httpURL, timeout: .seconds(2))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = process.status {
                throw HarnessError("\(name) exited with status \(status) before it was live:\n\(output)")
            }
            if let response = try? await client.raw(.GET, "/health/live"), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("\(name) was not live after \(timeout):\n\(output)")
    }

    /// Waits until `/health/ready` answers 200: the node is online and takes work.
    public func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        try await waitUntilLive(timeout: timeout)
        let client = StewardClient(baseURL: httpURL, timeout: .seconds(2))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let response = try? await client.raw(.GET, "/health/ready"), response.status == 200 { return }
            if let status = process.status { throw HarnessError("\(name) exited with status \(status) before it was ready:\n\(output)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("\(name) was not ready after \(timeout):\n\(output)")
    }

    /// Waits for the process (and, under a wrapper, the server it started) to exit; returns its status.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let status = try await process.wait(timeout: timeout, group: true)
        Watchdog.shared.forget(pid: pid)
        return status
    }

    public func signal(_ signal: Int32) { process.signal(signal) }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public func stop(grace: Duration = .seconds(20)) async {
        guard isRunning else { return Watchdog.shared.forget(pid: pid) }
        signal(SIGCONT)  // a paused process cannot handle SIGTERM
        signal(SIGTERM)
        if (try? await waitForExit(timeout: grace)) == nil {
            signal(SIGKILL)
            _ = try? await waitForExit(timeout: .seconds(10))
        }
    }

    /// SIGKILL: the node dies with no chance to clean up.
    public func kill9() async {
        signal(SIGKILL)
        _ = try? await waitForExit(timeout: .seconds(10))
    }
}
