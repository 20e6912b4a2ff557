/// Why a license file, or an issuer key, is not accepted. The message says what to do.
public struct LicenseRefusal: Error, CustomStringConvertible, Equatable {
    public enum Reason: String, Sendable, Equatable {
        case format, unknownIssuer, badSignature, invalidLicense, lapsed, badIssuerKey
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}
