import Foundation
import Hummingbird
import StewardModel

/// An error answer in the API's one shape, `{"error": "..."}`, with a status that means it.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    var headers: HTTPFields = [:]

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }
    static func conflict(_ message: String) -> APIError { APIError(status: .conflict, message: message) }
    static func forbidden(_ message: String) -> APIError { APIError(status: .forbidden, message: message) }
    static let unauthenticated = APIError(
        status: .unauthorized, message: "authentication required: send a bearer token or log in",
        headers: [.wwwAuthenticate: "Bearer realm=\"steward\""])

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try ErrorBody.encoder.encode(ErrorBody(error: message))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
