/// Why the keys cannot be used, in one line that names the file and what to do.
public struct KeyError: Error, CustomStringConvertible, Equatable {
    public enum Code: Sendable, Equatable {
        case masterKeyUnreadable, masterKeyTooShort, keystoreMissing, keystoreUnreadable, notAKeystore
        case unsupportedFormat, wrongMasterKey, tampered, foreignKeystore, unknownKeyVersion, secretTampered, noCA
    }

    public let code: Code
    public let path: String?
    public let message: String

    public init(_ code: Code, path: String? = nil, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { message }
}
