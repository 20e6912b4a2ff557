import ArgumentParser
import Foundation
import StewardClient

/// How to reach the cluster: `--url`, else `$STEWARD_URL`, else the URL saved by `stewardctl login`.
/// The token comes from `$STEWARD_TOKEN`, else from the login. Certificates are checked against the
/// system CAs unless `--ca-file` names the cluster's CA; `--insecure` turns checks off, explicitly.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The cluster's URL, usually the load balancer (default: $STEWARD_URL, then the saved login).")
    var url: String?

    @Option(name: .customLong("ca-file"), help: "A PEM file with the CA certificate to trust (default: $STEWARD_CA_FILE, then the saved login's). The certificate must also name the URL's host.")
    var caFile: String?

    @Flag(name: .long, help: "Do not check the server's TLS certificate (never across untrusted networks).")
    var insecure = false

    /// The URL to use and whether it is the one the saved login belongs to.
    func resolvedURL(_ saved: ClientConfigFile) throws -> (url: String, isSaved: Bool) {
        let explicit = url ?? ProcessInfo.processInfo.environment["STEWARD_URL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let base = explicit ?? saved.url else {
            throw Failure("no server: pass --url URL, set STEWARD_URL, or run `stewardctl login --url URL`")
        }
        guard let parsed = URL(string: base), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw Failure("'\(base)' is not an http:// or https:// URL")
        }
        return (base, explicit == nil || explicit == saved.url)
    }

    /// A client for the cluster, with the saved or given credentials.
    func client(authenticated: Bool = true) throws -> StewardClient {
        let saved = ClientConfigFile.load()
        let (base, isSaved) = try resolvedURL(saved)
        if insecure, caFile != nil { throw Failure("--insecure and --ca-file contradict each other; choose one") }
        let fromEnvironment = ProcessInfo.processInfo.environment["STEWARD_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let ca = caFile ?? fromEnvironment ?? (isSaved ? saved.caFile : nil)
        let trust: StewardClient.Trust = insecure || (isSaved && caFile == nil && saved.insecure == true) ? .insecure : ca.map { .caFile($0) } ?? .system
        var token = ProcessInfo.processInfo.environment["STEWARD_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if token == nil, isSaved { token = saved.token }
        return StewardClient(baseURL: base, trust: trust, token: authenticated ? token : nil)
    }
}

/// Runs an API call; a refused or failed connection becomes exit code 3, a server error code 1
/// (4 when the server says the credentials are missing or wrong).
func callServer<T>(_ client: StewardClient, _ body: (StewardClient) async throws -> T) async throws -> T {
    do {
        return try await body(client)
    } catch let error as ClientError {
        if error.status == 401 {
            throw Failure("\(error.message) (run `stewardctl login`, or set STEWARD_TOKEN)", code: Failure.unauthenticated)
        }
        throw Failure(error.description)
    } catch {
        if "\(error)".contains("failedToValidateHostname") {
            let host = URL(string: client.baseURL)?.host ?? client.baseURL
            throw Failure("\(client.baseURL) presented a certificate this client does not trust for the name \(host): it names another host. Use a URL with a host name the certificate lists (or add \(host) to the certificate)", code: Failure.unreachable)
        }
        if "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
            throw Failure("\(client.baseURL) presented a certificate this client does not trust; pass --ca-file with the cluster's CA certificate (or, on a trusted network only, --insecure)", code: Failure.unreachable)
        }
        throw Failure("cannot reach \(client.baseURL): \(error)", code: Failure.unreachable)
    }
}
