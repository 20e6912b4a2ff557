/// The answer to a message a side cannot accept; the connection is closed after it when `fatal`.
public struct ProtocolError: Codable, Sendable, Equatable {
    public static let type = "error"
    public let code: String
    public let message: String
    public let fatal: Bool

    public init(code: String, message: String, fatal: Bool) {
        self.code = code
        self.message = message
        self.fatal = fatal
    }
}
