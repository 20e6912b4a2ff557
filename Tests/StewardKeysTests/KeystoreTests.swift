import Crypto
import Foundation
import StewardKeys
import Testing
import X509

@Suite("Encryption keystore: sealed by the master key, every check says what failed")
struct EncryptionKeystoreTests {
    let master = try! MasterKey(material: Data(repeating: 1, count: 32), path: "/etc/steward/master.key")
    let other = try! MasterKey(material: Data(repeating: 2, count: 32), path: "/etc/steward/other.key")

    @Test("sealed with the master key, it opens again with it; the file holds no key in clear")
    func roundTrip() throws {
        let keystore = try EncryptionKeystore.create(clusterName: "c1")
        let bytes = try keystore.sealed(with: master)
        let opened = try EncryptionKeystore.open(bytes, path: "k", masterKeys: [master])
        #expect(opened.keystoreID == keystore.keystoreID)
        #expect(opened.activeVersion == 1)
        #expect(opened.activeAuthority?.pin == keystore.activeAuthority?.pin)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("PRIVATE KEY"))
        let raw = try #require(keystore.dataKey(version: 1)).withUnsafeBytes { Data($0).base64EncodedString() }
        #expect(!text.contains(raw), "the data key appears only sealed")
    }

    @Test("another master key is named as the problem, with both fingerprints")
    func wrongMasterKey() throws {
        let bytes = try EncryptionKeystore.create(clusterName: "c1").sealed(with: master)
        #expect { try EncryptionKeystore.open(bytes, path: "k", masterKeys: [other]) } throws: {
            ($0 as? KeyError)?.code == .wrongMasterKey && "\($0)".contains(master.fingerprint) && "\($0)".contains(other.fingerprint)
        }
        #expect(try EncryptionKeystore.open(bytes, path: "k", masterKeys: [other, master]).activeVersion == 1, "during a change either key opens it")
    }

    @Test("one byte changed anywhere is caught: as damage when it no longer parses, as tampering when it does")
    func tampering() throws {
        let bytes = try EncryptionKeystore.create(clusterName: "c1").sealed(with: master)
        var codes: Set<String> = []
        for offset in 0..<bytes.count {
            var changed = bytes
            changed[offset] ^= 0x01
            do {
                _ = try EncryptionKeystore.open(changed, path: "k", masterKeys: [master])
                // A flip inside JSON whitespace, or a base64 bit that decodes the same, changes no content.
                #expect(try KeystoreCanonical.same(changed, bytes), "byte \(offset) changed content and still opened")
            } catch let error as KeyError {
                codes.insert("\(error.code)")
            }
        }
        #expect(codes.isSubset(of: ["notAKeystore", "tampered", "wrongMasterKey", "unsupportedFormat"]), "\(codes)")
        #expect(codes.contains("tampered"))
    }

    @Test("a new data key becomes active; the old one stays to decrypt until it is retired")
    func rotation() throws {
        let first = try EncryptionKeystore.create(clusterName: "c1")
        let rotated = first.addingDataKey()
        #expect(rotated.activeVersion == 2)
        #expect(rotated.dataKey(version: 1) != nil)
        let retired = rotated.retiring(unusedVersions: [1, 2])
        #expect(retired.dataKeys.map(\.version) == [2], "the active key is never retired")
        let reopened = try EncryptionKeystore.open(try retired.sealed(with: master), path: "k", masterKeys: [master])
        #expect(reopened.activeVersion == 2)
    }

    @Test("a secret decrypts only as itself: another name or key version fails authentication")
    func secretsBoundToTheirRow() throws {
        let key = SymmetricKey(size: .bits256)
        let sealed = try DataEncryption.seal(Data("hunter2".utf8), name: "db-password", keyVersion: 3, key: key)
        #expect(try DataEncryption.open(sealed, name: "db-password", keyVersion: 3, key: key) == Data("hunter2".utf8))
        #expect(throws: KeyError.self) { try DataEncryption.open(sealed, name: "api-key", keyVersion: 3, key: key) }
        #expect(throws: KeyError.self) { try DataEncryption.open(sealed, name: "db-password", keyVersion: 4, key: key) }
    }
}

@Suite("Cluster CA: a pin to check, client certificates signed for a CSR's key")
struct ClusterAuthorityTests {
    @Test("a CSR signed by its key gets a client certificate from the CA, for the name the server chose")
    func signing() throws {
        let authority = try #require(try EncryptionKeystore.create(clusterName: "c1").activeAuthority)
        let agentKey = P256.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1, subject: try DistinguishedName { CommonName("I claim to be admin") }, privateKey: .init(agentKey),
            attributes: CertificateSigningRequest.Attributes())
        let certificate = try authority.sign(csr, commonName: "agent-7f3a", validity: 86400 * 90)
        #expect(certificate.subject.description.contains("agent-7f3a"))
        #expect(!certificate.subject.description.contains("admin"), "the CSR's claimed name is ignored")
        #expect(try certificate.issuer == authority.certificate.subject)
        #expect(try authority.certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(authority.pin.hasPrefix("sha256:") && authority.pin.count == 7 + 64)
        #expect(try ClusterAuthority.pin(ofCertificatePEM: authority.certificatePEM) == authority.pin)
    }
}

/// Whether two keystore files say the same thing (for the tampering test's harmless flips). Base64
/// strings are compared by the bytes they decode to: a flip in a final character's unused bits
/// (which one the test hits depends on the random keys) decodes to the same bytes.
enum KeystoreCanonical {
    static func same(_ a: Data, _ b: Data) throws -> Bool {
        let left = decoded(try JSONSerialization.jsonObject(with: a))
        let right = decoded(try JSONSerialization.jsonObject(with: b))
        return (left as? NSObject) == (right as? NSObject)
    }

    private static func decoded(_ value: Any) -> Any {
        switch value {
        case let object as [String: Any]: return object.mapValues(decoded) as NSDictionary
        case let array as [Any]: return array.map(decoded) as NSArray
        case let text as String: return text.count >= 4 ? (Data(base64Encoded: text).map { $0 as NSData } ?? text as NSString) : text as NSString
        default: return value
        }
    }
}
