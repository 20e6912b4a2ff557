import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import StewardModel

/// The console's one way to its data: the very `/api/v1` routes the CLI calls, dispatched in
/// process with the browser's own cookie. The console and the CLI therefore always agree, and the
/// API's access rules, CSRF check, validation and audit apply to the console unchanged.
struct ConsoleAPI: Sendable {
    let responder: RouterResponder<StewardRequestContext>

    /// What the API refused, in its own words.
    struct Refusal: Error, CustomStringConvertible {
        let status: HTTPResponse.Status
        let message: String
        var description: String { message }
    }

    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// Headers of the browser's request the API looks at: who it is, and where it came from.
    static let forwarded: [HTTPField.Name] = [.cookie, .userAgent, HTTPField.Name("X-Forwarded-For")!, HTTPField.Name("X-Forwarded-Proto")!]

    func get<T: Decodable>(_ type: T.Type, _ path: String, _ request: Request, _ context: StewardRequestContext) async throws -> T {
        try decode(T.self, try await send(.get, path, body: nil, request, context))
    }

    /// A state change: `csrf` is the token the form carried; the API checks it against the session.
    func send<T: Decodable>(_ type: T.Type, _ method: HTTPRequest.Method, _ path: String, json: (any Encodable)?, csrf: String?,
                            _ request: Request, _ context: StewardRequestContext) async throws -> T {
        let body = try json.map { ByteBuffer(bytes: try Self.encoder.encode($0)) }
        return try decode(T.self, try await send(method, path, body: body, csrf: csrf, request, context))
    }

    func decode<T: Decodable>(_ type: T.Type, _ answer: Answer) throws -> T {
        if T.self == Empty.self { return Empty() as! T }
        return try Self.decoder.decode(T.self, from: Data(answer.body.readableBytesView))
    }

    /// Sends one request through the API's router; any answer but 2xx is thrown as a `Refusal`.
    func send(_ method: HTTPRequest.Method, _ path: String, body: ByteBuffer?, csrf: String? = nil, extraHeaders: HTTPFields = [:],
              _ request: Request, _ context: StewardRequestContext) async throws -> Answer {
        var fields = HTTPFields()
        for name in Self.forwarded { for value in request.headers[values: name] { fields.append(HTTPField(name: name, value: value)) } }
        if body != nil { fields[.contentType] = "application/json" }
        if let csrf { fields[.xCSRFToken] = csrf }
        fields.append(contentsOf: extraHeaders)
        let head = HTTPRequest(method: method, scheme: "https", authority: request.head.authority, path: path, headerFields: fields)
        let inner = Request(head: head, body: RequestBody(buffer: body ?? ByteBuffer()))
        // The router records the route it matched on the (shared) context; the console's own request keeps its own.
        let outerPath = context.coreContext.endpointPath.value
        defer { context.coreContext.endpointPath.value = outerPath }
        let response = try await responder.respond(to: inner, context: context)
        let collector = BodyCollector()
        try await response.body.write(collector)
        let answer = Answer(status: response.status, headers: response.headers, body: collector.buffer)
        guard (200..<300).contains(response.status.code) else {
            let message = (try? Self.decoder.decode(ErrorBody.self, from: Data(answer.body.readableBytesView)).error) ?? response.status.reasonPhrase
            throw Refusal(status: response.status, message: message)
        }
        return answer
    }

    struct Empty: Decodable {}
    struct ErrorBody: Decodable { let error: String }
}

/// Gathers a response body in memory: API answers are small and bounded by their routes.
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    var buffer = ByteBuffer()
    func write(_ buffer: ByteBuffer) async throws { self.buffer.writeImmutableBuffer(buffer) }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Builds paths with escaped segments and queries, so no user text changes a path's meaning.
enum APIPath {
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    static func make(_ base: String, _ query: [(String, String?)]) -> String {
        let parts = query.compactMap { key, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return "\(key)=\(segment(value))"
        }
        return parts.isEmpty ? base : base + "?" + parts.joined(separator: "&")
    }
}
