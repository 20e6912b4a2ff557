import Foundation
import StewardKeystore
import StewardTesting
import Testing
import X509

@Suite("PKCS#12 keystores: entries chosen by alias")
struct KeystoreTests {
    let folder: TemporaryDirectory

    init() throws { folder = try TemporaryDirectory(prefix: "steward-keystore") }

    func subject(_ entry: KeystoreEntry) throws -> String { "\(try entry.leafCertificate().subject)" }

    @Test("each entry of a two-entry keystore is read by its alias, ignoring case")
    func twoEntries() throws {
        defer { folder.remove() }
        let path = folder.file("two.p12")
        try TestKeystore.write(path: path, password: "pw-1234", entries: [.init(alias: "first"), .init(alias: "second")])
        #expect(try subject(Keystore.read(path: path, password: "pw-1234", alias: "second")) == "CN=second")
        #expect(try subject(Keystore.read(path: path, password: "pw-1234", alias: "FIRST")) == "CN=first")
        #expect(try Keystore.aliases(path: path, password: "pw-1234").sorted() == ["first", "second"])
    }

    @Test("with no alias, a single-entry keystore gives its entry and a two-entry one is ambiguous")
    func defaultAlias() throws {
        defer { folder.remove() }
        let one = folder.file("one.p12"), two = folder.file("two.p12")
        try TestKeystore.write(path: one, password: "pw-1234", entries: [.init(alias: "only")])
        try TestKeystore.write(path: two, password: "pw-1234", entries: [.init(alias: "a"), .init(alias: "b")])
        #expect(try Keystore.read(path: one, password: "pw-1234", alias: nil).alias == "only")
        #expect {
            try Keystore.read(path: two, password: "pw-1234", alias: nil)
        } throws: { ($0 as? KeystoreError)?.code == .ambiguousAlias && "\($0)".contains("a, b") }
    }

    @Test("a wrong password, a missing alias and a non-keystore file each say what is wrong")
    func refusals() throws {
        defer { folder.remove() }
        let path = folder.file("ks.p12")
        try TestKeystore.write(path: path, password: "right-pw", entries: [.init(alias: "steward")])
        #expect {
            try Keystore.read(path: path, password: "wrong-pw", alias: "steward")
        } throws: { ($0 as? KeystoreError)?.code == .wrongPassword && ($0 as? KeystoreError)?.configurationKey == "server.keystore.password" }
        #expect {
            try Keystore.read(path: path, password: "right-pw", alias: "nope")
        } throws: { "\($0)" == "keystore \(path): no key entry named 'nope'; its key entries are: steward" }
        let junk = try folder.write("junk.p12", "this is not DER")
        #expect { try Keystore.read(path: junk, password: "x", alias: nil) } throws: { ($0 as? KeystoreError)?.code == .malformed }
        #expect { try Keystore.read(path: folder.file("missing.p12"), password: "x", alias: nil) } throws: { ($0 as? KeystoreError)?.code == .unreadable }
    }

    @Test("an expired certificate, and one not yet valid, are refused with their dates")
    func validity() throws {
        defer { folder.remove() }
        let path = folder.file("dated.p12")
        try TestKeystore.write(path: path, password: "pw-1234", entries: [
            .init(alias: "old", validFrom: Date().addingTimeInterval(-10 * 86400), validity: 86400),
            .init(alias: "future", validFrom: Date().addingTimeInterval(10 * 86400), validity: 86400),
            .init(alias: "good"),
        ])
        #expect {
            try Keystore.read(path: path, password: "pw-1234", alias: "old").checkValidity(path: path)
        } throws: { ($0 as? KeystoreError)?.code == .expired && "\($0)".contains("expired on") }
        #expect {
            try Keystore.read(path: path, password: "pw-1234", alias: "future").checkValidity(path: path)
        } throws: { ($0 as? KeystoreError)?.code == .notYetValid }
        try Keystore.read(path: path, password: "pw-1234", alias: "good").checkValidity(path: path)
    }

    @Test("a keystore made by Java's keytool with two entries serves the named one")
    func keytoolKeystore() async throws {
        defer { folder.remove() }
        let keytool = try #require(["/usr/bin/keytool", "/usr/local/bin/keytool"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                   "keytool (Java) is needed for this test; Scripts/test installs it")
        let path = folder.file("java.p12")
        for alias in ["web-a", "web-b"] {
            try await Shell.run(keytool, [
                "-genkeypair", "-storetype", "PKCS12", "-keystore", path, "-storepass", "java-pass",
                "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=\(alias)", "-validity", "30",
            ])
        }
        let entry = try Keystore.read(path: path, password: "java-pass", alias: "web-b")
        #expect(try subject(entry) == "CN=web-b")
        #expect(Set(entry.aliases) == ["web-a", "web-b"])
        _ = try entry.serverTLSConfiguration()
    }

    @Test("a keystore made by `openssl pkcs12 -export` is read, chain included")
    func opensslKeystore() async throws {
        defer { folder.remove() }
        let material = try SelfSignedCertificate.generate(commonName: "openssl-made")
        let key = try folder.write("key.pem", material.privateKeyPEM)
        let cert = try folder.write("cert.pem", material.certificatePEM)
        let path = folder.file("openssl.p12")
        try await Shell.run("/usr/bin/openssl", ["pkcs12", "-export", "-inkey", key, "-in", cert, "-name", "edge", "-out", path, "-passout", "pass:ossl-pass"])
        let entry = try Keystore.read(path: path, password: "ossl-pass", alias: "edge")
        #expect(try subject(entry) == "CN=openssl-made")
    }

    @Test("the fingerprint is the SHA-256 of the certificate and differs between certificates")
    func fingerprints() throws {
        defer { folder.remove() }
        let path = folder.file("fp.p12")
        try TestKeystore.write(path: path, password: "pw-1234", entries: [.init(alias: "a"), .init(alias: "b")])
        let a = try Keystore.read(path: path, password: "pw-1234", alias: "a").fingerprint()
        let b = try Keystore.read(path: path, password: "pw-1234", alias: "b").fingerprint()
        #expect(a.count == 95)  // 32 bytes as hex pairs joined by colons
        #expect(a != b)
        #expect(try Keystore.read(path: path, password: "pw-1234", alias: "a").fingerprint() == a)
    }
}
