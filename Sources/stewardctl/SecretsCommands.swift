import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Store credentials encrypted in the cluster; values are write-only.",
        discussion: """
            A value is encrypted with the cluster's active data key before it is stored, and is never shown \
            again: list and get show who set it and when. Server-side features (agent commands, deployments) \
            read values, each read audited. Setting, deleting and verifying need the admin role; listing, the operator role.
            """,
        subcommands: [SecretsSet.self, SecretsList.self, SecretsGet.self, SecretsDelete.self, SecretsVerify.self])
}

enum SecretTable {
    static func render(_ secrets: [SecretInfo]) -> String {
        Table.render(["NAME", "REVISION", "KEY", "UPDATED", "BY"], secrets.map { secret in
            [secret.name, String(secret.revision), "v\(secret.keyVersion)", ISO8601DateFormatter().string(from: secret.updatedAt), secret.updatedBy]
        })
    }

    static func details(_ secret: SecretInfo) -> String {
        let formatter = ISO8601DateFormatter()
        return Table.pairs([
            ("name", secret.name), ("revision", String(secret.revision)), ("data key", "v\(secret.keyVersion)"),
            ("created", "\(formatter.string(from: secret.createdAt)) by \(secret.createdBy)"),
            ("updated", "\(formatter.string(from: secret.updatedAt)) by \(secret.updatedBy)"), ("value", "(never shown)"),
        ])
    }
}

/// Reads a secret's value from standard input: all of it, one trailing newline dropped.
func readSecretValue() throws -> String {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    var text = String(decoding: data, as: UTF8.self)
    if text.hasSuffix("\n") { text.removeLast() }
    guard !text.isEmpty else { throw Failure("no value on standard input") }
    return text
}

struct SecretsSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Store (or replace) a secret; the value comes from standard input.")
    @Argument(help: "The secret's name (letters, digits, '.', '_', '-').") var name: String
    @Flag(name: .customLong("value-stdin"), help: "Read the value from standard input (required: never from the command line, where ps shows it).")
    var valueStdin = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard valueStdin else { throw Failure("give the value on standard input with --value-stdin") }
            let value = try readSecretValue()
            let info = try await callServer(try connection.client()) { try await $0.setSecret(name, value: value) }
            try output.show(info) { "secret \($0.name) stored (revision \($0.revision), data key v\($0.keyVersion))" }
        }
    }
}

struct SecretsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The secrets, without their values.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try output.show(try await callServer(try connection.client()) { try await $0.secrets() }, SecretTable.render)
        }
    }
}

struct SecretsGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "One secret's metadata (never its value).")
    @Argument(help: "The secret's name.") var name: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try output.show(try await callServer(try connection.client()) { try await $0.secret(name) }, SecretTable.details)
        }
    }
}

struct SecretsDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a secret.")
    @Argument(help: "The secret's name.") var name: String
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await reportingFailures {
            try await callServer(try connection.client()) { try await $0.deleteSecret(name) }
            print("secret \(name) deleted")
        }
    }
}

struct SecretsVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check whether a value (from standard input) is the stored one, without revealing it.",
        discussion: "Exit status 0 when it matches, 1 when it does not. The check is a read of the secret, and is audited.")
    @Argument(help: "The secret's name.") var name: String
    @Flag(name: .customLong("value-stdin"), help: "Read the candidate value from standard input (required).") var valueStdin = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard valueStdin else { throw Failure("give the candidate value on standard input with --value-stdin") }
            let value = try readSecretValue()
            let matches = try await callServer(try connection.client()) { try await $0.verifySecret(name, value: value) }
            try output.show(SecretMatch(matches: matches)) { $0.matches ? "matches" : "does not match" }
            if !matches { throw ExitCode(1) }
        }
    }
}
