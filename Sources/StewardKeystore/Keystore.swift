import CStewardKeystore
import Foundation

/// Reads and writes PKCS#12 keystores (the `conf/server.keystore` every node presents).
public enum Keystore {
    /// Reads the key entry named `alias`, or the only key entry when `alias` is nil.
    public static func read(path: String, password: String, alias: String?) throws(KeystoreError) -> KeystoreEntry {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "the file is not readable by this user" : "the file does not exist"
            throw KeystoreError(code: .unreadable, path: path, message: reason)
        }
        return try read(data: data, path: path, password: password, alias: alias)
    }

    public static func read(data: Data, path: String, password: String, alias: String?) throws(KeystoreError) -> KeystoreEntry {
        let result = call(data: data, password: password, alias: alias)
        switch result.status {
        case STEWARD_KEYSTORE_OK:
            guard let keyPEM = result.keyPEM, let chainPEM = result.chainPEM else {
                throw KeystoreError(code: .internalError, path: path, message: "no key was returned")
            }
            return KeystoreEntry(alias: alias ?? result.aliases.first ?? "", privateKeyPEM: keyPEM,
                                 certificateChainPEM: chainPEM, aliases: result.aliases)
        case STEWARD_KEYSTORE_NO_SUCH_ALIAS where alias != nil:
            let available = result.aliases.isEmpty ? "it holds no key entries" : "its key entries are: \(result.aliases.joined(separator: ", "))"
            throw KeystoreError(code: .noSuchAlias, path: path, message: "no key entry named '\(alias ?? "")'; \(available)")
        case STEWARD_KEYSTORE_AMBIGUOUS:
            throw KeystoreError(code: .ambiguousAlias, path: path,
                                message: "\(result.message) (its key entries are: \(result.aliases.joined(separator: ", ")))")
        default:
            throw KeystoreError(code: code(for: result.status), path: path, message: result.message)
        }
    }

    /// The aliases of every key entry in the keystore.
    public static func aliases(path: String, password: String) throws(KeystoreError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeystoreError(code: .unreadable, path: path, message: "the file does not exist or is not readable")
        }
        let result = call(data: data, password: password, alias: nil)
        switch result.status {
        case STEWARD_KEYSTORE_OK, STEWARD_KEYSTORE_AMBIGUOUS, STEWARD_KEYSTORE_NO_SUCH_ALIAS:
            return result.aliases
        default:
            throw KeystoreError(code: code(for: result.status), path: path, message: result.message)
        }
    }

    struct CallResult {
        var status: steward_keystore_status
        var keyPEM: String?
        var chainPEM: String?
        var aliases: [String]
        var message: String
    }

    static func call(data: Data, password: String, alias: String?) -> CallResult {
        var keyPEM: UnsafeMutablePointer<CChar>?
        var chainPEM: UnsafeMutablePointer<CChar>?
        var aliasList: UnsafeMutablePointer<CChar>?
        var errorText: UnsafeMutablePointer<CChar>?
        let status = data.withUnsafeBytes { bytes in
            steward_keystore_read(
                bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, password, alias,
                &keyPEM, &chainPEM, &aliasList, &errorText)
        }
        defer {
            steward_keystore_free(keyPEM)
            steward_keystore_free(chainPEM)
            steward_keystore_free(aliasList)
            steward_keystore_free(errorText)
        }
        return CallResult(
            status: status, keyPEM: keyPEM.map { String(cString: $0) }, chainPEM: chainPEM.map { String(cString: $0) },
            aliases: aliasList.map { String(cString: $0).split(separator: "\n").map(String.init) } ?? [],
            message: errorText.map { String(cString: $0) } ?? "unknown error")
    }

    static func code(for status: steward_keystore_status) -> KeystoreError.Code {
        switch status {
        case STEWARD_KEYSTORE_MALFORMED: return .malformed
        case STEWARD_KEYSTORE_WRONG_PASSWORD: return .wrongPassword
        case STEWARD_KEYSTORE_NO_SUCH_ALIAS: return .noSuchAlias
        case STEWARD_KEYSTORE_AMBIGUOUS: return .ambiguousAlias
        case STEWARD_KEYSTORE_NO_CERTIFICATE: return .noCertificate
        case STEWARD_KEYSTORE_KEY_MISMATCH: return .keyMismatch
        default: return .internalError
        }
    }

    /// One entry to write: its alias, its PEM private key, and its PEM chain (leaf first).
    public struct NewEntry: Sendable {
        public let alias: String
        public let privateKeyPEM: String
        public let certificateChainPEM: String
        public init(alias: String, privateKeyPEM: String, certificateChainPEM: String) {
            self.alias = alias
            self.privateKeyPEM = privateKeyPEM
            self.certificateChainPEM = certificateChainPEM
        }
    }

    /// Encodes a PKCS#12 keystore (AES-256 encryption, SHA-256 MAC) that Java's keytool also reads.
    public static func create(entries: [NewEntry], password: String) throws(KeystoreError) -> Data {
        guard !entries.isEmpty else {
            throw KeystoreError(code: .internalError, path: "(new keystore)", message: "a keystore needs at least one entry")
        }
        var der: UnsafeMutablePointer<UInt8>?
        var length = 0
        var errorText: UnsafeMutablePointer<CChar>?
        let status = withCStrings(entries.map(\.alias)) { aliases in
            withCStrings(entries.map(\.privateKeyPEM)) { keys in
                withCStrings(entries.map(\.certificateChainPEM)) { chains in
                    steward_keystore_create(entries.count, aliases, keys, chains, password, &der, &length, &errorText)
                }
            }
        }
        defer {
            steward_keystore_free(der)
            steward_keystore_free(errorText)
        }
        guard status == STEWARD_KEYSTORE_OK, let der else {
            throw KeystoreError(code: .internalError, path: "(new keystore)",
                                message: errorText.map { String(cString: $0) } ?? "cannot create the keystore")
        }
        return Data(bytes: der, count: length)
    }

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
