import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "API tokens for automation: create, list, revoke.",
        subcommands: [TokensCreate.self, TokensList.self, TokensRevoke.self])
}

struct TokensCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a token for yourself; its secret is printed once.")
    @Argument(help: "A name that says what the token is for.") var name: String
    @Option(name: .customLong("expires-in-days"), help: "Days until it expires (default: never).") var expiresInDays: Int?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let created = try await callServer(try connection.client()) { try await $0.createToken(name: name, expiresInDays: expiresInDays) }
            if output.json {
                try output.printJSON(created)
            } else {
                print(created.secret)
                FileHandle.standardError.write(Data("token \(created.info.id) '\(name)' created; the secret above is shown only now\n".utf8))
            }
        }
    }
}

struct TokensList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List your tokens (--all: everyone's, admins only).")
    @Flag(help: "Every user's tokens.") var all = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let tokens = try await callServer(try connection.client()) { try await $0.tokens(everyone: all) }
            if output.json { return try output.printJSON(tokens) }
            let formatter = ISO8601DateFormatter()
            let date = { (value: Date?) in value.map(formatter.string(from:)) ?? "-" }
            print(Table.render(["ID", "NAME", "OWNER", "PREFIX", "CREATED", "EXPIRES", "LAST USED", "STATE"], tokens.map {
                [$0.id.description, $0.name, $0.owner, $0.prefix + "…", date($0.createdAt), date($0.expiresAt), date($0.lastUsedAt),
                 $0.revokedAt == nil ? ($0.expiresAt.map { $0 < Date() } == true ? "expired" : "active") : "revoked"]
            }))
        }
    }
}

struct TokensRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token; every node refuses it from the next request.")
    @Argument(help: "The token's id (from `tokens list`).") var id: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard let tokenID = TokenID(id) else { throw Failure("'\(id)' is not a token id") }
            try await callServer(try connection.client()) { try await $0.revokeToken(tokenID) }
            if output.json { try output.printJSON(["id": id, "revoked": "true"]) } else { print("token \(id) revoked") }
        }
    }
}
