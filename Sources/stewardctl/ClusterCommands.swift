import ArgumentParser
import Foundation
import StewardClient
import StewardModel

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "See the cluster and steer its nodes.",
        subcommands: [ClusterInfoCommand.self, ClusterSummaryCommand.self, NodesCommand.self, SettingsCommand.self])
}

struct ClusterInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Show the cluster id and the node that answered.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let info = try await callServer(try connection.client()) { try await $0.clusterInfo() }
            if output.json { return try output.printJSON(info) }
            print(Table.pairs([
                ("cluster", info.clusterID.description), ("node", info.nodeName), ("node id", info.nodeID.description),
                ("node version", info.softwareVersion), ("cluster version", info.clusterSoftwareVersion),
                ("schema", String(info.schemaVersion)),
            ]))
        }
    }
}

struct ClusterSummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Every node's state, version, last heartbeat, clock skew, uptime, work and agents.",
        discussion: "Exit status: 0 GOOD (every node online), 5 DEGRADED (some are not), 6 DOWN (none is), or the usual failures.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let summary = try await callServer(try connection.client()) { try await $0.clusterSummary() }
            if output.json {
                try output.printJSON(summary)
            } else {
                print("cluster \(summary.clusterID): \(summary.status.rawValue), \(summary.onlineNodes) of \(summary.totalNodes) nodes online, Steward \(summary.softwareVersion), schema \(summary.schemaVersion)")
                print(NodeTable.render(summary.nodes))
            }
            switch summary.status {
            case .good: return
            case .degraded: throw ExitCode(5)
            case .down: throw ExitCode(6)
            }
        }
    }
}

struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes", abstract: "List, inspect, drain and decommission nodes.",
        subcommands: [NodesList.self, NodesGet.self, NodesDrain.self, NodesDelete.self])
}

enum NodeTable {
    static func render(_ nodes: [NodeStatus]) -> String {
        Table.render(["NAME", "STATE", "VERSION", "HOST", "LAST SEEN", "SKEW", "UPTIME", "WORK", "AGENTS"], nodes.map { node in
            [node.name, node.state, node.softwareVersion, node.host, "\(Int(node.secondsSinceSeen))s ago",
             "\(node.clockSkewMilliseconds)ms", node.uptimeSeconds.map(duration) ?? "-", String(node.requestsInFlight), String(node.agentsConnected)]
        })
    }

    static func duration(_ seconds: Int) -> String {
        seconds >= 86400 ? "\(seconds / 86400)d\(seconds % 86400 / 3600)h" : seconds >= 3600 ? "\(seconds / 3600)h\(seconds % 3600 / 60)m"
            : seconds >= 60 ? "\(seconds / 60)m\(seconds % 60)s" : "\(seconds)s"
    }

    static func details(_ node: NodeStatus) -> String {
        let formatter = ISO8601DateFormatter()
        return Table.pairs([
            ("name", node.name), ("id", node.nodeID.description), ("state", node.state), ("detail", node.detail.isEmpty ? "-" : node.detail),
            ("version", node.softwareVersion), ("host", node.host),
            ("ports", "http \(node.httpPort), https \(node.httpsPort), websocket \(node.webSocketPort)"),
            ("started", formatter.string(from: node.startedAt)), ("last seen", "\(formatter.string(from: node.lastSeen)) (\(Int(node.secondsSinceSeen))s ago)"),
            ("clock skew", "\(node.clockSkewMilliseconds)ms"), ("uptime", node.uptimeSeconds.map(duration) ?? "-"),
            ("requests in flight", String(node.requestsInFlight)), ("agents connected", String(node.agentsConnected)),
            ("drain requested", node.drainRequested ? "yes" : "no"),
        ])
    }
}

struct NodesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the nodes.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let nodes = try await callServer(try connection.client()) { try await $0.nodes() }
            try output.show(nodes, NodeTable.render)
        }
    }
}

struct NodesGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one node, by name or id.")
    @Argument(help: "The node's name or id.") var node: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let status = try await callServer(try connection.client()) { try await $0.node(node) }
            try output.show(status, NodeTable.details)
        }
    }
}

struct NodesDrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Drain a node: it reports not ready, stops taking work, sends its agents elsewhere, then goes offline.",
        discussion: "The node acts on its next heartbeat. Restart it to bring it back. Needs the operator role.")
    @Argument(help: "The node's name or id.") var node: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let status = try await callServer(try connection.client()) { try await $0.drain(node) }
            try output.show(status) { "drain of \($0.name) requested; it is \($0.state) and acts on its next heartbeat" }
        }
    }
}

struct NodesDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Decommission an offline node (the row stays, as decommissioned, for the record).",
        discussion: "Refused for a node that is online, joining or draining, and for the node answering the request. A decommissioned node starts again only with `steward-server --rejoin`. Needs the operator role.")
    @Argument(help: "The node's name or id.") var node: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let status = try await callServer(try connection.client()) { try await $0.decommission(node) }
            try output.show(status) { "\($0.name) is decommissioned" }
        }
    }
}
