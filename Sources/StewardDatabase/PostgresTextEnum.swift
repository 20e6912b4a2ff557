import PostgresNIO

/// A string enum at the SQL edge: bound and decoded as its text, so SQL never spells a value itself
/// and a value the enum does not know fails to decode instead of becoming a default.
public protocol PostgresTextEnum: RawRepresentable, PostgresEncodable, PostgresDecodable where RawValue == String {}

extension PostgresTextEnum {
    public static var psqlType: PostgresDataType { .text }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        rawValue.encode(into: &byteBuffer, context: context)
    }

    public init<JSONDecoder: PostgresJSONDecoder>(from byteBuffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                                  context: PostgresDecodingContext<JSONDecoder>) throws {
        let text = try String(from: &byteBuffer, type: type, format: format, context: context)
        guard let value = Self(rawValue: text) else { throw PostgresDecodingError.Code.failure }
        self = value
    }
}

extension Array where Element: PostgresTextEnum {
    /// For `column = ANY(…)`.
    public var texts: [String] { map(\.rawValue) }
}
