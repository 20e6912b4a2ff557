import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Read the audit log (admins only).",
                                                    subcommands: [AuditList.self])
}

struct AuditList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The newest audit entries first.")
    @Option(help: "How many entries (1-1000).") var limit = 50
    @Option(help: "Only this action or its sub-actions (login matches login.failed).") var action: String?
    @Option(help: "Entries older than this entry id (to page back).") var before: Int64?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let entries = try await callServer(try connection.client()) { try await $0.audit(limit: limit, before: before, action: action) }
            if output.json { return try output.printJSON(entries) }
            let formatter = ISO8601DateFormatter()
            print(Table.render(["ID", "TIME", "ACTOR", "ACTION", "TARGET", "NODE", "SOURCE", "DETAILS"], entries.map {
                [String($0.id), formatter.string(from: $0.at), $0.actor, $0.action, $0.target ?? "-", $0.node, $0.sourceAddress ?? "-",
                 $0.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")]
            }))
        }
    }
}
