import Foundation
import StewardKeystore

/// A real HAProxy running `Scripts/haproxy/haproxy.cfg.sample`, with the sample's host names,
/// ports and certificate paths replaced by the test's: the sample itself is what gets tested.
public final class TestLoadBalancer: Sendable {
    public let httpPort: Int
    public let passthroughPort: Int
    public let reencryptPort: Int
    public let agentPort: Int
    public let terminatePort: Int
    public let configFile: String
    let process: ChildProcess
    let outputFile: String

    public var output: String { (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "" }

    /// Starts HAProxy in front of `nodes` (node-1, node-2, node-3 of the sample, in order).
    public init(nodes: [ServerProcess], caCertificatePEM: String, folder: TemporaryDirectory) async throws {
        let sample = try String(contentsOfFile: Binaries.packageRoot + "/Scripts/haproxy/haproxy.cfg.sample", encoding: .utf8)
        let ports = try FreePorts.take(5)
        (httpPort, passthroughPort, reencryptPort, agentPort, terminatePort) = (ports[0], ports[1], ports[2], ports[3], ports[4])
        let material = try SelfSignedCertificate.generate(commonName: "localhost")
        let lbPEM = try folder.write("haproxy/steward-lb.pem", material.chainPEM + material.privateKeyPEM, permissions: 0o600)
        let caFile = try folder.write("haproxy/steward-ca.pem", caCertificatePEM)
        var text = sample
            .replacingOccurrences(of: "bind :80\n", with: "bind 127.0.0.1:\(httpPort)\n")
            .replacingOccurrences(of: "bind :443\n", with: "bind 127.0.0.1:\(passthroughPort)\n")
            .replacingOccurrences(of: "bind :8443 ", with: "bind 127.0.0.1:\(reencryptPort) ")
            .replacingOccurrences(of: "bind :7919\n", with: "bind 127.0.0.1:\(agentPort)\n")
            .replacingOccurrences(of: "bind :9443 ", with: "bind 127.0.0.1:\(terminatePort) ")
            .replacingOccurrences(of: "/etc/haproxy/steward-lb.pem", with: lbPEM)
            .replacingOccurrences(of: "/etc/haproxy/steward-ca.pem", with: caFile)
        text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var line = String(line)
            for (index, node) in nodes.enumerated() where line.contains("node-\(index + 1).example.com") {
                line = line.replacingOccurrences(of: "node-\(index + 1).example.com:8080", with: "127.0.0.1:\(node.httpPort)")
                    .replacingOccurrences(of: "node-\(index + 1).example.com:8443", with: "127.0.0.1:\(node.httpsPort)")
                    .replacingOccurrences(of: "node-\(index + 1).example.com:7919", with: "127.0.0.1:\(node.webSocketPort)")
                    .replacingOccurrences(of: "check port 8080", with: "check port \(node.httpPort)")
            }
            return line
        }.joined(separator: "\n")
        configFile = try folder.write("haproxy/haproxy.cfg", text)
        outputFile = folder.file("haproxy/output.log")
        let check = try await Shell.run("/usr/sbin/haproxy", ["-c", "-f", configFile], allowFailure: true)
        guard check.status == 0 else { throw HarnessError("haproxy rejects the rendered sample:\n\(check.output)") }
        process = try ChildProcess("/usr/sbin/haproxy", ["-db", "-f", configFile], outputFile: outputFile)
        Watchdog.shared.watch(pid: process.pid)
        do {
            let deadline = ContinuousClock.now + .seconds(10)
            while !isListening(port: httpPort) {
                if let status = process.status { throw HarnessError("haproxy exited (\(status)):\n\(output)") }
                guard ContinuousClock.now < deadline else { throw HarnessError("haproxy did not listen:\n\(output)") }
                try await Task.sleep(for: .milliseconds(50))
            }
        } catch {
            await Self.stop(process)  // the caller gets no balancer to stop
            throw error
        }
    }

    public var httpURL: String { "http://127.0.0.1:\(httpPort)" }
    public var reencryptURL: String { "https://localhost:\(reencryptPort)" }
    public var passthroughURL: String { "https://localhost:\(passthroughPort)" }
    public var terminateURL: String { "https://localhost:\(terminatePort)" }
    public var agentURL: String { "wss://localhost:\(agentPort)/ws/agent" }

    public func stop() async { await Self.stop(process) }

    static func stop(_ process: ChildProcess) async {
        process.signal(SIGTERM)
        if (try? await process.wait(timeout: .seconds(5), group: true)) == nil {
            process.signal(SIGKILL)
            _ = try? await process.wait(timeout: .seconds(5), group: true)
        }
        Watchdog.shared.forget(pid: process.pid)
    }
}
