import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage user accounts (admins only).",
        subcommands: [UsersList.self, UsersCreate.self, UsersSetRole.self, UsersDisable.self, UsersEnable.self, UsersResetPassword.self])
}

extension Role: ExpressibleByArgument {}

func printUsers(_ users: [UserInfo], _ output: OutputOptions) throws {
    if output.json { return try output.printJSON(users) }
    let formatter = ISO8601DateFormatter()
    print(Table.render(["USERNAME", "ROLE", "STATE", "CREATED"], users.map {
        [$0.username, $0.role.rawValue, $0.disabled ? "disabled" : "active", formatter.string(from: $0.createdAt)]
    }))
}

struct UsersList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the users.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures { try printUsers(try await callServer(try connection.client()) { try await $0.users() }, output) }
    }
}

struct UsersCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a user.")
    @Argument(help: "The new user's name.") var username: String
    @Option(help: "admin, operator or viewer.") var role: Role
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let password = try PasswordInput.read(prompt: "password for \(username): ", fromStandardInput: passwordStdin, confirm: true)
            let user = try await callServer(try connection.client()) { try await $0.createUser(username, password: password, role: role) }
            try printUsers([user], output)
        }
    }
}

struct UsersSetRole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a user's role.")
    @Argument(help: "The user.") var username: String
    @Argument(help: "admin, operator or viewer.") var role: Role
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try printUsers([try await callServer(try connection.client()) { try await $0.changeUser(username, role: role) }], output)
        }
    }
}

struct UsersDisable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable a user: their sessions end and their tokens stop working at once.")
    @Argument(help: "The user.") var username: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try printUsers([try await callServer(try connection.client()) { try await $0.changeUser(username, disabled: true) }], output)
        }
    }
}

struct UsersEnable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a disabled user.")
    @Argument(help: "The user.") var username: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try printUsers([try await callServer(try connection.client()) { try await $0.changeUser(username, disabled: false) }], output)
        }
    }
}

struct UsersResetPassword: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-password", abstract: "Set a user's password (their sessions end everywhere).")
    @Argument(help: "The user.") var username: String
    @Flag(name: .customLong("password-stdin"), help: "Read the new password from standard input.") var passwordStdin = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let password = try PasswordInput.read(prompt: "new password for \(username): ", fromStandardInput: passwordStdin, confirm: true)
            try await callServer(try connection.client()) { try await $0.resetPassword(username, to: password) }
            if output.json { try output.printJSON(["username": username, "reset": "true"]) } else { print("password of \(username) reset") }
        }
    }
}
