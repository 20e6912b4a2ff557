import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in and save an API token for the next commands.",
        discussion: """
            Asks for the password without echo (or reads it from standard input with --password-stdin),
            creates an API token named after this host, and saves the server URL, the trust settings
            and the token in $STEWARD_CONFIG or ~/.config/steward/stewardctl.json (mode 0600).
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The user name (default: asked for).") var username: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false
    @Option(name: .customLong("token-name"), help: "The new token's name (default: stewardctl@HOST).") var tokenName: String?
    @Option(name: .customLong("expires-in-days"), help: "Days until the token expires (default and limit: the cluster's security.token.max.lifetime).") var expiresInDays: Int?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let client = try connection.client(authenticated: false)
            let user = try username ?? prompt("username: ")
            let password = try PasswordInput.read(prompt: "password for \(user): ", fromStandardInput: passwordStdin)
            let name = tokenName ?? "stewardctl@\(ProcessInfo.processInfo.hostName)"
            var saved = ClientConfigFile.load()
            let deviceKey = ClientConfigFile.deviceKey(user: user, url: client.baseURL)
            let device = saved.devices?[deviceKey]
            let login = try await callServer(client) {
                try await $0.loginForToken(username: user, password: password, tokenName: name, expiresInDays: expiresInDays, device: device)
            }
            guard let token = login.token else { throw Failure("the server answered without a token") }
            if let device = login.device { saved.devices = (saved.devices ?? [:]).merging([deviceKey: device]) { $1 } }
            saved.url = client.baseURL
            saved.token = token.secret
            saved.caFile = connection.caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? (connection.insecure ? nil : saved.caFile)
            saved.insecure = connection.insecure ? true : nil
            try saved.save()
            if output.json {
                try output.printJSON(["url": client.baseURL, "username": login.user.username, "role": login.user.role.rawValue,
                                      "token": token.info.prefix, "config": ClientConfigFile.path])
            } else {
                print("logged in to \(client.baseURL) as \(login.user.username) (\(login.user.role.rawValue)); token \(token.info.prefix)… saved in \(ClientConfigFile.path)")
            }
        }
    }

    func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        guard let line = readLine(), !line.isEmpty else { throw Failure("no user name given") }
        return line
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Revoke the saved token on the server and forget it.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            var saved = ClientConfigFile.load()
            guard saved.token != nil else {
                print("not logged in")
                return
            }
            let client = try connection.client()
            // The token is revoked on the server first; it is forgotten locally even if that fails.
            let revoked: Bool
            do {
                try await callServer(client) { try await $0.logout() }
                revoked = true
            } catch let failure as Failure where failure.code == Failure.unauthenticated {
                revoked = false
            }
            saved.token = nil
            try saved.save()
            if output.json {
                try output.printJSON(["revoked": revoked])
            } else {
                print(revoked ? "logged out; the token is revoked" : "logged out (the token was no longer valid)")
            }
        }
    }
}
