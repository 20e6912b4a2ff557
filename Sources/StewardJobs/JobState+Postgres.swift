import PostgresNIO
import StewardModel

// Bound and decoded as text, so SQL never spells a state itself.
extension JobState: PostgresEncodable, PostgresDecodable {
    public static var psqlType: PostgresDataType { .text }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        rawValue.encode(into: &byteBuffer, context: context)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(from byteBuffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                                  context: PostgresDecodingContext<JSONDecoder>) throws {
        let text = try String(from: &byteBuffer, type: type, format: format, context: context)
        guard let state = JobState(rawValue: text) else { throw PostgresDecodingError.Code.failure }
        self = state
    }
}

extension Array where Element == JobState {
    var texts: [String] { map(\.rawValue) }
}
