import ArgumentParser
import Foundation
import StewardAppData
import StewardKeystore

struct KeystoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keystore",
        abstract: "Create and inspect the PKCS#12 keystore that holds the nodes' TLS certificate.",
        subcommands: [KeystoreCreate.self, KeystoreShow.self])
}

/// The keystore password: from a file, or from STEWARD_KEYSTORE_PASSWORD; never from the command
/// line, where other users can read it in the process list.
struct KeystorePasswordOptions: ParsableArguments {
    @Option(name: .customLong("password-file"), help: "A file whose first line is the keystore password (default: $STEWARD_KEYSTORE_PASSWORD).")
    var passwordFile: String?

    func password() throws -> String {
        if let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw Failure("cannot read the password file \(passwordFile)")
            }
            let password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !password.isEmpty else { throw Failure("the password file \(passwordFile) is empty") }
            return password
        }
        if let password = ProcessInfo.processInfo.environment["STEWARD_KEYSTORE_PASSWORD"], !password.isEmpty {
            return password
        }
        throw Failure("give the keystore password with --password-file FILE or STEWARD_KEYSTORE_PASSWORD")
    }
}

struct KeystoreCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Write a new keystore with one entry: a self-signed certificate, or your own key and certificate.",
        discussion: """
            Without --key and --cert, a small local CA and a P-256 server certificate signed by it are
            generated (for trials); --ca-out writes the CA certificate for clients (stewardctl --ca-file).
            Production clusters use a certificate from their own CA, with the load balancer's name and
            every node's name in its subject alternative names.
            """)

    @Option(help: "Where to write the keystore; an existing file is not replaced.")
    var out: String

    @Option(help: "The entry's alias; set server.key.alias to the same.")
    var alias = "steward"

    @Option(name: .customLong("dns"), help: "A DNS name for the certificate (repeatable).")
    var dnsNames: [String] = []

    @Option(name: .customLong("ip"), help: "An IP address for the certificate (repeatable).")
    var ipAddresses: [String] = []

    @Option(help: "Days the self-signed certificate is valid.")
    var days = 365

    @Option(help: "A PEM private key to store instead of generating one.")
    var key: String?

    @Option(help: "The PEM certificate chain for --key, leaf first.")
    var cert: String?

    @Option(name: .customLong("ca-out"), help: "Where to write the generated CA certificate (PEM) for clients to trust.")
    var caOut: String?

    @OptionGroup var passwordOptions: KeystorePasswordOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard !FileManager.default.fileExists(atPath: out) else {
                throw Failure("\(out) exists; choose another path or remove it first")
            }
            guard (key == nil) == (cert == nil) else { throw Failure("--key and --cert go together") }
            if caOut != nil, key != nil { throw Failure("--ca-out is for a generated certificate; with --key and --cert you already hold your CA") }
            let password = try passwordOptions.password()
            let keyPEM: String, chainPEM: String
            if let key, let cert {
                keyPEM = try String(contentsOfFile: key, encoding: .utf8)
                chainPEM = try String(contentsOfFile: cert, encoding: .utf8)
            } else {
                let dns = dnsNames.isEmpty ? ["localhost", ProcessInfo.processInfo.hostName] : dnsNames
                let material = try SelfSignedCertificate.generate(
                    commonName: dns[0], dnsNames: dns, ipAddresses: ipAddresses.isEmpty ? ["127.0.0.1", "::1"] : ipAddresses,
                    validity: TimeInterval(days) * 86400)
                keyPEM = material.privateKeyPEM
                chainPEM = material.chainPEM
                if let caOut { try AtomicFile.write(material.caCertificatePEM, to: caOut, permissions: 0o644) }
            }
            let data = try Keystore.create(entries: [.init(alias: alias, privateKeyPEM: keyPEM, certificateChainPEM: chainPEM)], password: password)
            try AtomicFile.write(data, to: out, permissions: 0o600)
            let entry = try Keystore.read(data: data, path: out, password: password, alias: alias)
            let fingerprint = try entry.fingerprint()
            if output.json {
                try output.printJSON(["keystore": out, "alias": alias, "fingerprint": fingerprint])
            } else {
                print("wrote \(out) with entry '\(alias)' (SHA-256 \(fingerprint))")
            }
        }
    }
}

struct KeystoreShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a keystore's key entries: subject, validity and fingerprint.")

    @Argument(help: "The keystore file.")
    var keystore: String

    @OptionGroup var passwordOptions: KeystorePasswordOptions
    @OptionGroup var output: OutputOptions

    struct Row: Encodable {
        let alias: String
        let subject: String
        let notAfter: Date
        let fingerprint: String
    }

    func run() async throws {
        try await reportingFailures {
            let password = try passwordOptions.password()
            let aliases = try Keystore.aliases(path: keystore, password: password)
            var rows: [Row] = []
            for alias in aliases {
                let entry = try Keystore.read(path: keystore, password: password, alias: alias)
                let leaf = try entry.leafCertificate()
                rows.append(Row(alias: alias, subject: "\(leaf.subject)", notAfter: leaf.notValidAfter, fingerprint: try entry.fingerprint()))
            }
            if output.json {
                try output.printJSON(rows)
            } else {
                let formatter = ISO8601DateFormatter()
                print(Table.render(["ALIAS", "SUBJECT", "NOT AFTER", "SHA-256"], rows.map { [$0.alias, $0.subject, formatter.string(from: $0.notAfter), $0.fingerprint] }))
            }
        }
    }
}
