import Crypto
import Foundation

/// Checks license files against the issuer keys a node trusts.
public struct LicenseVerifier: Sendable {
    public let issuers: [LicenseIssuerKey]

    public init(issuers: [LicenseIssuerKey]) { self.issuers = issuers }

    /// The trusted keys in a folder (`appdata/conf/license-issuers`): every `*.pub` file. A file
    /// that is not a key is an error, not silently skipped: an operator put it there to be trusted.
    public static func loading(folder: String) throws -> LicenseVerifier {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var keys: [LicenseIssuerKey] = []
        for name in names.sorted() where name.hasSuffix(".pub") {
            let path = folder + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LicenseRefusal(.badIssuerKey, "cannot read the license issuer key \(path)")
            }
            keys.append(try LicenseIssuerKey(text: String(decoding: data, as: UTF8.self), source: path))
        }
        return LicenseVerifier(issuers: keys)
    }

    /// The license in `text`, if its format, issuer and signature hold and its grace has not run out.
    public func verify(_ text: String, at now: Date = Date()) throws(LicenseRefusal) -> (license: License, signed: SignedLicense) {
        let signed: SignedLicense
        do {
            signed = try JSONDecoder().decode(SignedLicense.self, from: Data(text.utf8))
        } catch {
            throw LicenseRefusal(.format, "not a Steward license file (expected JSON with format, issuer, license and signature)")
        }
        guard signed.format == SignedLicense.format else {
            throw LicenseRefusal(.format, "unsupported license format '\(signed.format)' (this version reads \(SignedLicense.format))")
        }
        guard let issuer = issuers.first(where: { $0.id == signed.issuer }) else {
            throw LicenseRefusal(.unknownIssuer, "the license was issued by an unknown issuer (key id \(signed.issuer)); trusted issuers are the keys in appdata/conf/license-issuers/")
        }
        guard let signature = Base64URL.decode(signed.signature),
              issuer.key.isValidSignature(signature, for: Data(SignedLicense.signedText(signed.license).utf8)) else {
            throw LicenseRefusal(.badSignature, "the license's signature does not match its contents: it was changed after it was issued, or is damaged")
        }
        guard let payload = Base64URL.decode(signed.license), let license = try? LicenseJSON.decoder.decode(License.self, from: payload) else {
            throw LicenseRefusal(.format, "the signed license cannot be read")
        }
        if let problem = license.problem { throw LicenseRefusal(.invalidLicense, "the license is not valid: \(problem)") }
        if case .lapsed(let since) = LicenseStanding(license, at: now) {
            throw LicenseRefusal(.lapsed, "license \(license.id) expired on \(LicenseStanding.dateText(license.expiresAt)) and its grace ended on \(LicenseStanding.dateText(since)); ask for a renewed key")
        }
        return (license, signed)
    }
}
