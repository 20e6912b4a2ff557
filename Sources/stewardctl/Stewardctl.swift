import ArgumentParser

@main
struct Stewardctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stewardctl",
        abstract: "Operate a Steward cluster: its API, and the local files of its nodes.",
        discussion: """
            Every command prints a table for people and, with --json, JSON for scripts.
            Exit status: 0 success, 1 the operation failed or was refused (the reason is printed),
            2 usage error, 3 the server could not be reached.
            """,
        version: "0.1.0",
        subcommands: [AppDataCommand.self, KeystoreCommand.self, ClusterCommand.self])
}
