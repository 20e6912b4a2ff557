import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "See the cluster.",
        subcommands: [ClusterInfoCommand.self])
}

struct ClusterInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the cluster id and the node that answered.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let info = try await callServer(try connection.client()) { try await $0.clusterInfo() }
            if output.json {
                try output.printJSON(info)
            } else {
                print(Table.pairs([
                    ("cluster", info.clusterID.description), ("node", info.nodeName), ("node id", info.nodeID.description),
                    ("node version", info.softwareVersion), ("cluster version", info.clusterSoftwareVersion),
                    ("schema", String(info.schemaVersion)),
                ]))
            }
        }
    }
}
