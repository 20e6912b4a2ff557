import Foundation
import Hummingbird
import StewardModel

/// System information (the node map and the job charts) and the nodes, with drain and decommission.
extension ConsoleRoutes {
    enum ChartChoice: String, CaseIterable {
        case node, kind, nodeAndKind = "node,kind"

        var label: String {
            switch self {
            case .node: return "Jobs by node"
            case .kind: return "Jobs by type"
            case .nodeAndKind: return "Jobs by node and type"
            }
        }

        init(_ request: Request) {
            self = request.uri.queryParameters["chart"].flatMap { ChartChoice(rawValue: String($0)) } ?? .node
        }
    }

    func addSystem(to console: RouterGroup<Context>) {
        console.get("") { request, context in
            let choice = ChartChoice(request)
            return try await page(request, context, title: "System information", section: "System", live: "system",
                                  liveQuery: "?chart=" + APIPath.segment(choice.rawValue)) { _ in
                let map = try await mapHTML(request, context)
                let chart = try await chartHTML(choice, request, context)
                let charts = ChartChoice.allCases.map { ["value": $0.rawValue, "label": $0.label, "selected": $0 == choice] as [String: Any] }
                return Content(template: "system", data: ["map": map, "chart": chart, "charts": charts])
            }
        }
        console.get("nodes") { request, context in
            try await page(request, context, title: "Nodes", section: "Nodes") { _ in
                let nodes = try await api.get([NodeStatus].self, "/api/v1/cluster/nodes", request, context)
                return Content(template: "nodes", data: ["nodes": nodes.map(nodeData)])
            }
        }
        console.get("nodes/{node}") { request, context in
            let name = try context.parameters.require("node")
            return try await page(request, context, title: "Node \(name)", section: "Nodes") { viewer in
                let node = try await api.get(NodeStatus.self, "/api/v1/cluster/nodes/" + APIPath.segment(name), request, context)
                var data = nodeData(node)
                data["canOperate"] = viewer.atLeast(.operator)
                data["canDrain"] = node.stateCode == .online && !node.drainRequested
                let offline = [NodeState.offline, .upgradeRequired].contains(node.stateCode)
                data["canDecommission"] = offline && node.name != runtime.nodeName
                if !offline, node.stateCode != .decommissioned {
                    data["whyNotDecommission"] = node.name == runtime.nodeName
                        ? "Decommission is not offered: this node is serving this page."
                        : "Decommission is offered once the node is offline: drain it and stop it first."
                }
                return Content(template: "node", data: data)
            }
        }
        for operation in NodeOperation.allCases {
            console.get("nodes/{node}/\(operation.rawValue)") { request, context in
                let name = try context.parameters.require("node")
                return try await page(request, context, title: "\(operation.verb) \(name)?", section: "Nodes") { _ in
                    Content(template: "confirm", data: [
                        "action": "/console/nodes/\(APIPath.segment(name))/\(operation.rawValue)", "question": operation.question(name),
                        "verb": "\(operation.verb) \(name)", "back": "/console/nodes/\(APIPath.segment(name))",
                    ])
                }
            }
            console.post("nodes/{node}/\(operation.rawValue)") { request, context in
                let name = try context.parameters.require("node")
                return try await action(request, context, title: "\(operation.verb) \(name)", section: "Nodes") { form, _ in
                    if operation == .decommission, name == runtime.nodeName {
                        throw ConsoleAPI.Refusal(status: .conflict, message: "\(name) is serving this page; a node cannot decommission itself: open the console on another node")
                    }
                    let path = "/api/v1/cluster/nodes/" + APIPath.segment(name) + (operation == .drain ? "/drain" : "")
                    _ = try await api.send(NodeStatus.self, operation == .drain ? .post : .delete, path, json: nil, csrf: form.csrf, request, context)
                    return Self.redirect("/console/nodes/\(APIPath.segment(name))?notice=\(operation == .drain ? "drained" : "decommissioned")")
                }
            }
        }
    }

    enum NodeOperation: String, CaseIterable {
        case drain, decommission

        var verb: String { self == .drain ? "Drain" : "Decommission" }

        func question(_ name: String) -> String {
            switch self {
            case .drain: return "Drain \(name)? It finishes its running work, takes no more, and its agents reconnect to other nodes."
            case .decommission: return "Decommission \(name)? It leaves the cluster for good; its row stays for the record. This cannot be undone."
            }
        }
    }

    func nodeData(_ node: NodeStatus) -> [String: Any] {
        [
            "name": node.name, "state": node.state, "stateCode": node.stateCode.rawValue, "softwareVersion": node.softwareVersion,
            "host": node.host, "uptime": ConsoleText.duration(node.uptimeSeconds), "clockSkewMilliseconds": node.clockSkewMilliseconds,
            "agentsConnected": node.agentsConnected, "lastSeen": ConsoleText.time(node.lastSeen), "startedAt": ConsoleText.time(node.startedAt),
            "detail": node.detail, "nodeID": node.nodeID.description, "httpPort": node.httpPort, "httpsPort": node.httpsPort,
            "webSocketPort": node.webSocketPort, "requestsInFlight": node.requestsInFlight, "incarnation": node.incarnation.description,
            "serving": node.name == runtime.nodeName,
        ]
    }

    /// The node map: every node's state and facts, and a sparkline of its jobs over the last hour.
    func mapHTML(_ request: Request, _ context: Context) async throws -> String {
        let summary = try await api.get(ClusterSummary.self, "/api/v1/cluster/summary", request, context)
        let stats = try await api.get(JobStatsReport.self, "/api/v1/jobs/stats?by=node&minutes=60", request, context)
        let nodes = summary.nodes.filter { $0.stateCode != .decommissioned } + summary.nodes.filter { $0.stateCode == .decommissioned }
        let data = nodes.map { node -> [String: Any] in
            var data = nodeData(node)
            let counts = ConsoleCharts.perMinute(stats.series.filter { $0.node == node.name }, since: stats.since, minutes: stats.minutes)
            let total = counts.reduce(0, +)
            data["jobs"] = total
            data["spark"] = ConsoleCharts.sparkline(counts, label: "\(node.name): \(total) jobs in the last hour")
            return data
        }
        return ConsoleTemplates.render("map", [
            "nodes": data, "onlineNodes": summary.onlineNodes, "totalNodes": summary.totalNodes, "status": summary.status.rawValue,
        ])
    }

    /// Jobs finished per minute over the last hour, grouped as chosen, with the numbers as a table.
    func chartHTML(_ choice: ChartChoice, _ request: Request, _ context: Context) async throws -> String {
        let stats = try await api.get(JobStatsReport.self, "/api/v1/jobs/stats?by=\(APIPath.segment(choice.rawValue))&minutes=60", request, context)
        func name(_ node: String?, _ kind: String?) -> String {
            switch choice {
            case .node: return node ?? "no node"
            case .kind: return kind ?? "no type"
            case .nodeAndKind: return "\(node ?? "no node") · \(kind ?? "no type")"
            }
        }
        let groups = stats.rows.map { name($0.node, $0.kind) }
        let series = groups.map { group in
            ConsoleCharts.Series(name: group, counts: ConsoleCharts.perMinute(stats.series.filter { name($0.node, $0.kind) == group },
                                                                              since: stats.since, minutes: stats.minutes))
        }
        let svg = ConsoleCharts.stacked(series, since: stats.since, minutes: stats.minutes, title: "\(choice.label), per minute, last hour")
        let rows = stats.rows.map { row -> [String: Any] in
            ["node": row.node ?? "", "kind": row.kind ?? "", "succeeded": row.succeeded, "failed": row.failed, "retried": row.retried]
        }
        return ConsoleTemplates.render("chart", [
            "svg": svg, "rows": rows, "title": choice.label, "byNode": choice != .kind, "byKind": choice != .node,
            "ready": stats.ready, "scheduled": stats.scheduled, "running": stats.running,
        ])
    }
}
