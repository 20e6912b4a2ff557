import ArgumentParser
import Foundation
import StewardClient

/// How to reach the cluster: `--url`, else `$STEWARD_URL`. Certificates are checked against the
/// system CAs unless `--ca-file` names the cluster's CA; `--insecure` turns checks off, explicitly.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The cluster's URL, usually the load balancer (default: $STEWARD_URL).")
    var url: String?

    @Option(name: .customLong("ca-file"), help: "A PEM file with the CA (or self-signed certificate) to trust.")
    var caFile: String?

    @Flag(name: .long, help: "Do not check the server's TLS certificate (never across untrusted networks).")
    var insecure = false

    func client() throws -> StewardClient {
        guard let base = url ?? ProcessInfo.processInfo.environment["STEWARD_URL"], !base.isEmpty else {
            throw Failure("no server: pass --url URL or set STEWARD_URL")
        }
        guard let parsed = URL(string: base), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw Failure("'\(base)' is not an http:// or https:// URL")
        }
        if insecure, caFile != nil { throw Failure("--insecure and --ca-file contradict each other; choose one") }
        let trust: StewardClient.Trust = insecure ? .insecure : caFile.map { .caFile($0) } ?? .system
        return StewardClient(baseURL: base, trust: trust)
    }
}

/// Runs an API call; a refused or failed connection becomes exit code 3, a server error code 1.
func callServer<T>(_ client: StewardClient, _ body: (StewardClient) async throws -> T) async throws -> T {
    do {
        return try await body(client)
    } catch let error as ClientError {
        throw Failure(error.description)
    } catch {
        if "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
            throw Failure("\(client.baseURL) presented a certificate this client does not trust; pass --ca-file with the cluster's CA certificate (or, on a trusted network only, --insecure)", code: Failure.unreachable)
        }
        throw Failure("cannot reach \(client.baseURL): \(error)", code: Failure.unreachable)
    }
}
