import ArgumentParser

@main
struct Stewardctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stewardctl",
        abstract: "Operate a Steward cluster: its API, and the local files of its nodes.",
        discussion: """
            Every command prints a table for people and, with --json, JSON for scripts.
            Exit status: 0 success, 1 the operation failed or was refused (the reason is printed),
            2 usage error, 3 the server could not be reached, 4 not logged in (or the login expired).

            The server comes from --url, $STEWARD_URL, or the last `stewardctl login`; the token from
            $STEWARD_TOKEN or that login (saved in $STEWARD_CONFIG or ~/.config/steward/stewardctl.json, mode 0600).
            """,
        version: "0.1.0",
        subcommands: [
            LoginCommand.self, LogoutCommand.self, ClusterCommand.self, UsersCommand.self, TokensCommand.self,
            AuditCommand.self, SecretsCommand.self, KeysCommand.self, CACommand.self, AppDataCommand.self, KeystoreCommand.self,
            JobsCommand.self, SchedulesCommand.self, LicenseCommand.self, AgentsCommand.self,
        ])
}
