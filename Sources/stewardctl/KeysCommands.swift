import ArgumentParser
import Foundation
import StewardAppData
import StewardClient
import StewardKeys
import StewardModel

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "The master key, the encryption keystore and its data keys (docs/keys.md).",
        subcommands: [KeysNewMasterKey.self, KeysInit.self, KeysStatusCommand.self, KeysRotate.self, KeysReseal.self])
}

struct KeysNewMasterKey: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-master-key", abstract: "Write a new random master key to FILE (mode 0600).",
        discussion: "Copy the file itself to every node (its bytes are the key) and keep a backup apart from the appdata: without it, the keystore and every secret are lost.")
    @Argument(help: "The file to create; it must not exist.") var file: String

    func run() async throws {
        try await reportingFailures {
            guard !FileManager.default.fileExists(atPath: file) else { throw Failure("\(file) exists; a master key is never overwritten") }
            try AtomicFile.write(MasterKey.generateText(), to: file, permissions: 0o600)
            print("master key written to \(file) (mode 0600): copy it to every node, name it in server.master.key.file, and back it up apart from the appdata")
        }
    }
}

struct KeysInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the encryption keystore and the cluster CA in an appdata folder, offline.",
        discussion: "The first node does this by itself when it creates the cluster; this is for preparing appdata ahead. Refused when the keystore exists.")
    @Option(help: "The appdata folder.") var appdata: String
    @Option(name: .customLong("master-key"), help: "The master key file the nodes will use.") var masterKey: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let (path, authorityPath) = NodeKeys.paths(appData: appdata)
            guard !FileManager.default.fileExists(atPath: path) else { throw Failure("\(path) exists; a keystore is never overwritten") }
            guard FileManager.default.fileExists(atPath: appdata + "/conf") else { throw Failure("\(appdata)/conf is missing: is \(appdata) an appdata folder?") }
            let key = try MasterKey.load(path: masterKey)
            let keystore = try EncryptionKeystore.create(clusterName: URL(fileURLWithPath: appdata).lastPathComponent)
            try NodeKeys.write(keystore, sealedWith: key, path: path, authorityPath: authorityPath)
            let pin = keystore.activeAuthority?.pin ?? ""
            try output.show(["keystore": path, "ca": authorityPath, "pin": pin]) { _ in
                "created \(path) (data key v1) and the cluster CA \(authorityPath) (pin \(pin))"
            }
        }
    }
}

struct KeysStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "The data keys and how many secrets each encrypts.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let status = try await callServer(try connection.client()) { try await $0.keysStatus() }
            try output.show(status) { status in
                "keystore \(status.keystoreID), sealed with master key \(status.masterKeyFingerprint)\n"
                    + Table.render(["DATA KEY", "ACTIVE", "SECRETS"], status.versions.map { ["v\($0.version)", $0.active ? "yes" : "", String($0.secrets)] })
                    + (status.remaining > 0 ? "\n\(status.remaining) secret(s) not yet on v\(status.activeVersion): run `stewardctl keys rotate` to finish" : "")
            }
        }
    }
}

struct KeysRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Add a data key and re-encrypt every secret with it, online.",
        discussion: "Re-encrypts in batches, showing progress; interrupted (Ctrl-C, a killed node), run it again and it finishes the same rotation. When done, the data keys no secret uses are retired.")
    @Option(help: "Secrets per batch (each batch is one transaction).") var batch = 100
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let client = try connection.client()
            let started = try await callServer(client) { try await $0.startRotation() }
            let total = started.remaining
            if !output.json { progressLine("data key v\(started.activeVersion) is active; \(total) secret(s) to re-encrypt") }
            var done = 0
            var progress = started
            while progress.remaining > 0 {
                progress = try await callServer(client) { [batch] in try await $0.rotationBatch(limit: batch) }
                done += progress.reencrypted
                if !output.json { progressLine("  re-encrypted \(done) of \(total) (\(progress.remaining) left)") }
                if progress.reencrypted == 0 && progress.remaining > 0 {
                    try await Task.sleep(for: .milliseconds(200))  // another rotator holds the rest; wait for it
                }
            }
            let finished = try await callServer(client) { try await $0.finishRotation() }
            try output.show(finished) { finished in
                "rotation done: every secret is on data key v\(finished.activeVersion)"
                    + (finished.retiredVersions.isEmpty ? "" : "; retired \(finished.retiredVersions.map { "v\($0)" }.joined(separator: ", "))")
            }
        }
    }
}

struct KeysReseal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reseal", abstract: "Seal the keystore with the next master key (step 2 of a master key change, docs/keys.md).",
        discussion: "Every node must already hold the new key as server.master.key.next.file. Afterwards make it server.master.key.file on every node and remove the old file.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let status = try await callServer(try connection.client()) { try await $0.reseal() }
            try output.show(status) { "the keystore is now sealed with master key \($0.masterKeyFingerprint)" }
        }
    }
}

struct CACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "The cluster CA that signs agent certificates.", subcommands: [CAShow.self])
}

struct CAShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print the cluster CA certificate and its SHA-256 public-key pin.",
        discussion: "Give the pin to `steward-agent enroll --ca-pin`: the agent trusts the cluster only if its CA has this key. With --appdata, read conf/cluster-ca.pem there instead of asking a node.")
    @Option(help: "Read the certificate from this appdata folder, offline.") var appdata: String?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let authorities: [AuthorityInfo]
            if let appdata {
                let path = NodeKeys.paths(appData: appdata).authority
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw Failure("cannot read \(path)") }
                authorities = try Self.parse(text)
            } else {
                authorities = try await callServer(try connection.client()) { try await $0.authorities() }
            }
            try output.show(authorities) { list in
                list.map { "\($0.certificatePEM)pin: \($0.pin)\nstate: \($0.state), serial \($0.serial), valid until \(ISO8601DateFormatter().string(from: $0.notAfter))" }
                    .joined(separator: "\n\n")
            }
        }
    }

    /// The certificates of a PEM bundle, with their pins.
    static func parse(_ text: String) throws -> [AuthorityInfo] {
        let blocks = text.components(separatedBy: "-----END CERTIFICATE-----").filter { $0.contains("-----BEGIN CERTIFICATE-----") }
        return try blocks.map { block in
            let pem = block.trimmingCharacters(in: .whitespacesAndNewlines) + "\n-----END CERTIFICATE-----\n"
            let info = try AuthorityDetails.read(pem)
            return AuthorityInfo(serial: info.serial, state: "published", certificatePEM: pem, pin: info.pin, notAfter: info.notAfter)
        }
    }
}

/// A progress line, out at once even when standard output is a file or a pipe (which buffer otherwise).
func progressLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
