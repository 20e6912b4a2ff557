import Foundation
import Hummingbird

/// Reads JSON request bodies, and says what is wrong with one in the API's field names: Hummingbird's
/// own messages would show Swift's type names ("expected `String` type") to API clients.
public struct StewardRequestDecoder: RequestDecoder {
    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601  // as every answer writes them
            return try decoder.decode(T.self, from: buffer)
        } catch let error as DecodingError {
            throw APIError.badRequest(ErrorShapeMiddleware.describe(error))
        }
    }
}
