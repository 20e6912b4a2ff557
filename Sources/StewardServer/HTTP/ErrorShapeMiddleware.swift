import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import StewardDatabase
import StewardModel

/// Turns every error a route or the framework throws into an answer of the API's one shape,
/// `{"error": "..."}`, with the status the client really gets, so that the request log records
/// that status and no answer shows a Swift type name. Anything unexpected is a 500 whose details
/// go to the node's log, not to the client.
struct ErrorShapeMiddleware: RouterMiddleware {
    typealias Context = StewardRequestContext
    let runtime: NodeRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let answer = Self.answer(for: error, request: request, context: context)
            if answer.status == .internalServerError {
                runtime.logger.error("\(request.method) \(request.uri.path) failed: \(DatabaseError.readable(error))")
            }
            return try answer.response(from: request, context: context)
        }
    }

    static func answer(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let api as APIError:
            return api
        case let http as HTTPError:
            return APIError(status: http.status, message: http.body ?? defaultMessage(http.status, request), headers: http.headers)
        case is NIOTooManyBytesError:
            return APIError(status: .contentTooLarge, message: "the request body is larger than the \(context.bodyLimit) bytes \(request.uri.path.prefix(100)) takes")
        case let timeout as RequestBodyTimeout:
            return APIError(status: .requestTimeout, message: "\(timeout)")
        case is HTTPParserError:
            return APIError.badRequest("the request body is malformed (chunked encoding)")
        case let decoding as DecodingError:
            return APIError.badRequest(describe(decoding))
        case let database as DatabaseError where database.code == .timeout || database.code == .unreachable || database.code == .busy:
            return APIError(status: .serviceUnavailable, message: "\(database.message); try again shortly", headers: [.retryAfter: "1"])
        case is CancellationError:
            return APIError(status: .serviceUnavailable, message: "the node is shutting down; try another node", headers: [.retryAfter: "1"])
        case let other as any HTTPResponseError:
            return APIError(status: other.status, message: defaultMessage(other.status, request))
        default:
            let readable = DatabaseError.readable(error)
            if let database = readable as? DatabaseError, database.code == .unreachable || database.code == .timeout {
                return APIError(status: .serviceUnavailable, message: "the database is not answering; try again shortly", headers: [.retryAfter: "1"])
            }
            return APIError(status: .internalServerError, message: "internal error; the node's log has the details")
        }
    }

    static func defaultMessage(_ status: HTTPResponse.Status, _ request: Request) -> String {
        switch status {
        case .notFound: return "no such route: \(request.method) \(request.uri.path.prefix(200))"
        case .methodNotAllowed: return "\(request.method) is not allowed on \(request.uri.path.prefix(200))"
        default: return status.reasonPhrase.isEmpty ? "refused (\(status.code))" : status.reasonPhrase.lowercased()
        }
    }

    /// A decoding failure in the words of the API's fields, never of Swift's types.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, adding key: (any CodingKey)? = nil) -> String {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "the body" : "'\(text)'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context, adding: key)) is missing"
        case .valueNotFound(_, let context): return "\(path(context)) must not be null"
        case .typeMismatch(let type, let context): return "\(path(context)) must be \(jsonName(type))"
        case .dataCorrupted(let context) where context.codingPath.isEmpty: return "the body is not valid JSON (UTF-8, at most 512 levels deep)"
        case .dataCorrupted(let context): return "\(path(context)) has an invalid value"
        @unknown default: return "the body could not be read"
        }
    }

    static func jsonName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is Double.Type: return "a number"
        default: return "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
