import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import StewardModel

/// The REST API client that `stewardctl` and the tests use. One client per base URL; requests
/// share one process-wide AsyncHTTPClient (with this client's TLS settings per request), so there
/// is nothing to shut down. It never follows redirects: an API answer is the answer, and a
/// redirect to another host must not take a token with it.
public final class StewardClient: Sendable {
    /// How the client decides whether to trust the server's certificate.
    public enum Trust: Sendable {
        /// The system's trusted CAs.
        case system
        /// Only the CA (or self-signed certificate) in this PEM file.
        case caFile(String)
        /// The cluster CA in this PEM file, for the agent port: that CA issues server certificates to
        /// nodes only, so any node is the right server whatever name the URL uses (a load balancer's too).
        case clusterCA(String)
        /// No check at all; only with an explicit `--insecure`.
        case insecure
    }

    /// A browser-style session: the cookie, and the CSRF token state changes must carry.
    public struct Session: Sendable, Equatable {
        public let cookie: String
        public let csrfToken: String
        public init(cookie: String, csrfToken: String) {
            self.cookie = cookie
            self.csrfToken = csrfToken
        }
    }

    /// Lives as long as the process (a static is never released, so it needs no shutdown).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        // AsyncHTTPClient's default is 8 connections per host: callers that run many requests at
        // once (the test suite, the benchmarks, scripts) would queue behind it on the client side.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 512
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public let baseURL: String
    let tls: TLSConfiguration
    let timeout: TimeAmount
    public let token: String?
    let session: Session?

    public init(baseURL: String, trust: Trust = .system, token: String? = nil, session: Session? = nil, timeout: Duration = .seconds(30)) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        var tls = TLSConfiguration.makeClientConfiguration()
        switch trust {
        case .system: break
        case .caFile(let path):
            // Only this CA, and the certificate must name the host in the URL: a certificate from
            // the right CA for another host is refused (list the load balancer's name in it too).
            tls.trustRoots = .file(path)
            tls.certificateVerification = .fullVerification
        case .clusterCA(let path):
            tls.trustRoots = .file(path)
            tls.certificateVerification = .noHostnameVerification
        case .insecure: tls.certificateVerification = .none
        }
        self.tls = tls
        self.timeout = .seconds(timeout.components.seconds)
        self.token = token
        self.session = session
    }

    /// The same server and trust, with other credentials.
    public func with(token: String? = nil, session: Session? = nil) -> StewardClient {
        StewardClient(baseURL: baseURL, tls: tls, timeout: timeout, token: token, session: session)
    }

    init(baseURL: String, tls: TLSConfiguration, timeout: TimeAmount, token: String?, session: Session?) {
        self.baseURL = baseURL
        self.tls = tls
        self.timeout = timeout
        self.token = token
        self.session = session
    }

    /// A status and the raw body, for callers that look at both (health checks, tests).
    public struct RawResponse: Sendable {
        public let status: Int
        public let headers: [(String, String)]
        public let body: Data

        public func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(type, from: body)
        }

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public func raw(_ method: HTTPMethod = .GET, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> RawResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.tlsConfiguration = tls
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let session {
            request.headers.add(name: "Cookie", value: "\(Self.sessionCookie)=\(session.cookie)")
            if method != .GET { request.headers.add(name: "X-CSRF-Token", value: session.csrfToken) }
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await Self.http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return RawResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Data(buffer: bytes))
    }

    public static let sessionCookie = "__Host-steward_session"

    /// GETs `path` and decodes the JSON answer, or throws the server's error message.
    public func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await send(.GET, path, as: type)
    }

    /// Sends `body` as JSON and decodes the answer, or throws the server's error message.
    public func send<T: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<String>.none, as type: T.Type) async throws -> T {
        let response = try await sendExpectingSuccess(method, path, body: body)
        return try response.decode(type)
    }

    @discardableResult
    public func sendExpectingSuccess(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = Optional<String>.none) async throws -> RawResponse {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let encoded = try body.map { try encoder.encode($0) }
        let response = try await raw(method, path, body: encoded)
        guard (200..<300).contains(response.status) else { throw ClientError(response: response) }
        return response
    }

    public func clusterInfo() async throws -> ClusterInfo {
        try await get("/api/v1/cluster/info", as: ClusterInfo.self)
    }

    public func readiness() async throws -> (ready: Bool, report: HealthReport) {
        let response = try await raw(.GET, "/health/ready")
        return (response.status == 200, try response.decode(HealthReport.self))
    }
}

/// A non-2xx answer, with the server's own message when it sent one.
public struct ClientError: Error, CustomStringConvertible {
    public let status: Int
    public let message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    init(response: StewardClient.RawResponse) {
        status = response.status
        if let body = try? response.decode(ErrorBody.self) {
            message = body.error
        } else if let hummingbird = try? JSONDecoder().decode([String: [String: String]].self, from: response.body),
                  let text = hummingbird["error"]?["message"] {
            message = text
        } else {
            message = response.text.isEmpty ? "HTTP \(response.status)" : String(response.text.prefix(500))
        }
    }

    public var description: String { "server answered \(status): \(message)" }
}
