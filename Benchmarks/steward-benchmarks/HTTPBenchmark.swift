import ArgumentParser
import Foundation
import StewardClient
import StewardKeystore
import StewardModel
import StewardTesting

/// Requests per second a release-built node serves (health, authenticated reads), against nginx
/// serving a static file over the same TLS on the same machine in the same run: the ratios are the
/// figures that survive a noisy machine. wrk makes the load; nginx and wrk come from Debian.
struct HTTPBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Requests per second of health checks and authenticated API reads, as ratios to nginx serving a static file.",
        discussion: """
            Needs a release build of the server (swift build -c release --product steward-server) and Debian's
            nginx and wrk (apt-get install nginx wrk). Starts a throwaway PostgreSQL, one node and nginx, runs
            wrk against each endpoint in turn, and prints requests per second with the ratio to nginx.
            """)

    @Option(help: "Seconds of load per endpoint.") var duration = 10
    @Option(help: "Concurrent connections wrk keeps open.") var connections = 64
    @Option(help: "wrk threads.") var threads = 2
    @Option(help: "The server binary (default: the release build).") var binary: String?

    func run() async throws {
        guard let server = binary ?? Binaries.release("steward-server") else {
            throw ValidationError("no release build: run `swift build -c release --product steward-server` first (or pass --binary)")
        }
        for tool in ["/usr/sbin/nginx", "/usr/bin/wrk"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw ValidationError("\(tool) is missing: apt-get install nginx wrk")
        }
        print("http benchmark: \(duration)s per endpoint, \(connections) connections, \(threads) wrk threads, server \(server)")
        try await TestCluster.with { cluster in
            let node = try await cluster.start("bench", extra: ["database.pool.size": "10"], binary: server)
            let token = try requireValue(try await cluster.adminClient(node).token, "the admin login returned no token")
            let nginx = try await StaticNginx.start(folder: cluster.folder)
            defer { nginx.stop() }
            let baseline = try await wrk("https://localhost:\(nginx.port)/static.json")
            var rows: [(String, Double)] = [("nginx static file (HTTPS)", baseline)]
            rows.append(("steward GET /health/live (HTTP)", try await wrk("http://127.0.0.1:\(node.httpPort)/health/live")))
            rows.append(("steward GET /health/live (HTTPS)", try await wrk("https://localhost:\(node.httpsPort)/health/live")))
            rows.append(("steward GET /api/v1/auth/me, token (HTTPS)", try await wrk("https://localhost:\(node.httpsPort)/api/v1/auth/me", token: token)))
            rows.append(("steward GET /api/v1/cluster/nodes, token (HTTPS)", try await wrk("https://localhost:\(node.httpsPort)/api/v1/cluster/nodes", token: token)))
            print("")
            for (name, rate) in rows {
                let padded = name.padding(toLength: 52, withPad: " ", startingAt: 0)
                print(padded + String(format: " %9.0f req/s   %5.1f%% of nginx", rate, rate / baseline * 100))
            }
        }
    }

    /// wrk's "Requests/sec" for one URL; fails on any non-2xx answer.
    func wrk(_ url: String, token: String? = nil) async throws -> Double {
        var arguments = ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--latency"]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        let result = try await Shell.run("/usr/bin/wrk", arguments + [url], timeout: .seconds(duration + 60))
        if result.output.contains("Non-2xx or 3xx responses") {
            throw ValidationError("\(url) answered errors under load:\n\(result.output)")
        }
        guard let line = result.output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
              let rate = Double(line.split(separator: " ").last ?? "") else {
            throw ValidationError("no Requests/sec in wrk's output:\n\(result.output)")
        }
        print("  \(url): \(Int(rate)) req/s")
        return rate
    }
}

func requireValue<T>(_ value: T?, _ message: String) throws -> T {
    guard let value else { throw ValidationError(message) }
    return value
}

/// nginx serving one small JSON file over TLS with the cluster's certificate, on a free port.
struct StaticNginx {
    let port: Int
    let process: ChildProcess

    static func start(folder: TemporaryDirectory) async throws -> StaticNginx {
        let port = try FreePorts.take(1)[0]
        let generated = try SelfSignedCertificate.generate(commonName: "localhost")
        let material = (certificate: try folder.write("nginx/cert.pem", generated.chainPEM),
                        key: try folder.write("nginx/key.pem", generated.privateKeyPEM, permissions: 0o600))
        _ = try folder.write("nginx/www/static.json", #"{"status":"live","checks":{"process":"ok"}}"#)
        let config = try folder.write("nginx/nginx.conf", """
            \(getuid() == 0 ? "user root;" : "")
            worker_processes auto;
            daemon off;
            pid \(folder.file("nginx/nginx.pid"));
            error_log \(folder.file("nginx/error.log"));
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(folder.file("nginx/tmp"));
                server {
                    listen 127.0.0.1:\(port) ssl;
                    ssl_certificate \(material.certificate);
                    ssl_certificate_key \(material.key);
                    root \(folder.file("nginx/www"));
                    default_type application/json;
                }
            }
            """)
        let process = try ChildProcess("/usr/sbin/nginx", ["-c", config, "-p", folder.file("nginx")], outputFile: folder.file("nginx/output.log"))
        let deadline = ContinuousClock.now + .seconds(10)
        while !isListening(port: port) {
            guard ContinuousClock.now < deadline else { throw ValidationError("nginx did not listen on \(port)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return StaticNginx(port: port, process: process)
    }

    func stop() { process.signal(SIGTERM) }
}
