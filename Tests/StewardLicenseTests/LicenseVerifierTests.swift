import Foundation
import StewardLicense
import Testing

@Suite("License files: signed, verified, refused with the reason")
struct LicenseVerifierTests {
    let issuer = LicenseSigningKey(comment: "test issuer")
    let now = Date()

    func license(users: Int = 7, agents: Int = 10, expiresIn days: Double = 365, grace: Int = 14) -> License {
        License(id: "lic-test", licensee: "Example Corp", userSeats: users, agentSeats: agents,
                notBefore: now.addingTimeInterval(-400 * 86400), expiresAt: now.addingTimeInterval(days * 86400), graceDays: grace)
    }

    var verifier: LicenseVerifier { LicenseVerifier(issuers: [issuer.publicKey]) }

    func refusal(_ text: String, by verifier: LicenseVerifier? = nil) -> LicenseRefusal? {
        do {
            _ = try (verifier ?? self.verifier).verify(text, at: now)
            return nil
        } catch {
            return error
        }
    }

    @Test("an issued license verifies and reads back exactly")
    func roundTrip() throws {
        let original = license()
        let text = try SignedLicense.issue(original, with: issuer).text()
        let (read, signed) = try verifier.verify(text, at: now)
        #expect(read.id == original.id && read.userSeats == 7 && read.agentSeats == 10 && read.licensee == "Example Corp")
        #expect(abs(read.expiresAt.timeIntervalSince(original.expiresAt)) < 1)
        #expect(signed.issuer == issuer.publicKey.id)
    }

    @Test("a forged seat count: the signature no longer matches")
    func forgedSeats() throws {
        var signed = try SignedLicense.issue(license(users: 7), with: issuer)
        // Decode the payload, raise the seats, encode it again: what a forger would do.
        let json = String(decoding: try #require(Base64URL.decode(signed.license)), as: UTF8.self)
        #expect(json.contains("\"userSeats\":7"))
        signed.license = Base64URL.encode(Data(json.replacingOccurrences(of: "\"userSeats\":7", with: "\"userSeats\":700").utf8))
        let refused = try #require(refusal(try signed.text()))
        #expect(refused.reason == .badSignature)
        #expect(refused.message.contains("changed after it was issued"))
    }

    @Test("a license from an issuer the node does not trust is refused, naming the key id")
    func unknownIssuer() throws {
        let stranger = LicenseSigningKey()
        let refused = try #require(refusal(try SignedLicense.issue(license(), with: stranger).text()))
        #expect(refused.reason == .unknownIssuer)
        #expect(refused.message.contains(stranger.publicKey.id))
    }

    @Test("a trusted issuer's id with another key's signature is refused")
    func signedByAnotherKey() throws {
        var signed = try SignedLicense.issue(license(), with: LicenseSigningKey())
        signed.issuer = issuer.publicKey.id
        #expect(refusal(try signed.text())?.reason == .badSignature)
    }

    @Test("not a license file, or another format: refused as such")
    func wrongFormat() throws {
        #expect(refusal("hello")?.reason == .format)
        #expect(refusal("{\"format\": \"x\"}")?.reason == .format)
        var signed = try SignedLicense.issue(license(), with: issuer)
        signed.format = "steward-license/9"
        let refused = try #require(refusal(try signed.text()))
        #expect(refused.reason == .format)
        #expect(refused.message.contains("steward-license/9"))
    }

    @Test("expired past its grace: refused, with both dates; expired within grace: accepted")
    func expiry() throws {
        let lapsed = try SignedLicense.issue(license(expiresIn: -20, grace: 14), with: issuer).text()
        let refused = try #require(refusal(lapsed))
        #expect(refused.reason == .lapsed)
        #expect(refused.message.contains("grace ended"))
        let inGrace = try SignedLicense.issue(license(expiresIn: -5, grace: 14), with: issuer).text()
        #expect(refusal(inGrace) == nil)
    }

    @Test("invalid fields cannot be issued")
    func invalidFields() {
        var bad = license()
        bad.userSeats = -1
        #expect(throws: LicenseRefusal.self) { try SignedLicense.issue(bad, with: self.issuer) }
        bad = license()
        bad.expiresAt = bad.notBefore
        #expect(bad.problem != nil)
    }

    @Test("issuer key files read back; a file that is not a key is refused")
    func keyFiles() throws {
        let read = try LicenseIssuerKey(text: issuer.publicKey.text, source: "a.pub")
        #expect(read == issuer.publicKey && read.comment == "test issuer")
        let privateRead = try LicenseSigningKey(text: issuer.text, source: "a.key")
        #expect(privateRead.publicKey == issuer.publicKey)
        #expect(throws: LicenseRefusal.self) { try LicenseIssuerKey(text: "ssh-ed25519 AAAA", source: "b.pub") }
        #expect(throws: LicenseRefusal.self) { try LicenseSigningKey(text: self.issuer.publicKey.text, source: "b.key") }
    }

    @Test("the shipped product issuer key is a valid key")
    func shippedKey() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let verifier = try LicenseVerifier.loading(folder: root.path + "/appdata-template/conf/license-issuers")
        #expect(verifier.issuers.count == 1)
    }
}

@Suite("License standing: what a license grants when")
struct LicenseStandingTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func standing(notBefore: Double = -10, expires: Double, grace: Int = 14) -> LicenseStanding {
        let license = License(id: "l", licensee: "x", userSeats: 1, agentSeats: 1, notBefore: now.addingTimeInterval(notBefore * 86400),
                              expiresAt: now.addingTimeInterval(expires * 86400), graceDays: grace)
        return LicenseStanding(license, at: now)
    }

    @Test("active, expiring within 30 days, in grace, lapsed, not yet valid")
    func standings() {
        #expect(standing(expires: 100).name == "active")
        #expect(standing(expires: 100).grantsSeats)
        #expect(standing(expires: 29).name == "expiring")
        #expect(standing(expires: 29).grantsSeats)
        #expect(standing(expires: -3).name == "in-grace")
        #expect(standing(expires: -3).grantsSeats)
        #expect(standing(expires: -15).name == "lapsed")
        #expect(!standing(expires: -15).grantsSeats)
        #expect(standing(notBefore: 2, expires: 100).name == "not-yet-valid")
        #expect(!standing(notBefore: 2, expires: 100).grantsSeats)
        // The grace is exact to the second: the last instant of it still grants.
        #expect(standing(expires: -13.999, grace: 14).grantsSeats)
        #expect(!standing(expires: -14, grace: 14).grantsSeats)
    }

    @Test("warnings say when, and what to do")
    func warnings() {
        let license = License(id: "lic-9", licensee: "x", userSeats: 1, agentSeats: 1, notBefore: now.addingTimeInterval(-86400),
                              expiresAt: now.addingTimeInterval(5 * 86400), graceDays: 14)
        let warning = LicenseStanding(license, at: now).warning(for: license, at: now)
        #expect(warning?.contains("lic-9 expires on") == true)
        #expect(warning?.contains("in 5 days") == true)
        #expect(warning?.contains("stewardctl license add") == true)
        #expect(standing(expires: 100).warning(for: license, at: now) == nil)
    }
}
