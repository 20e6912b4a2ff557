import Foundation
import Hummingbird
import StewardModel

/// Agents (filtered by tag and state), an agent's facts and commands, running a command on an
/// agent or a tag, and a command's output, followed live.
extension ConsoleRoutes {
    func addAgents(to console: RouterGroup<Context>) {
        console.get("agents") { request, context in
            try await page(request, context, title: "Agents", section: "Agents") { viewer in
                let query = request.uri.queryParameters
                let tag = query["tag"].map(String.init) ?? "", state = query["state"].map(String.init) ?? ""
                let agents = try await api.get([AgentInfo].self, APIPath.make("/api/v1/agents", [("tag", tag), ("state", state)]), request, context)
                let states = Self.options(["", "online", "offline", "revoked"], selected: state)
                return Content(template: "agents", data: [
                    "agents": agents.map(agentData), "tag": tag, "states": states, "canOperate": viewer.atLeast(.operator),
                ])
            }
        }
        console.get("agents/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await page(request, context, title: "Agent", section: "Agents") { viewer in
                let agent = try await api.get(AgentInfo.self, "/api/v1/agents/" + APIPath.segment(id), request, context)
                let commands = try await api.get([AgentCommandInfo].self, "/api/v1/agents/\(APIPath.segment(id))/commands?limit=20", request, context)
                var data = agentData(agent)
                data["commands"] = commands.map(commandData)
                data["canOperate"] = viewer.atLeast(.operator)
                data["revoked"] = agent.state == "revoked"
                data["tagLines"] = agent.tags.joined(separator: "\n")
                return Content(template: "agent", data: data)
            }
        }
        console.post("agents/{id}/commands") { request, context in
            let id = try context.parameters.require("id")
            return try await action(request, context, title: "Run a command", section: "Agents") { form, _ in
                let command = try Self.commandRequest(form, tag: nil)
                let created = try await api.send(AgentCommandInfo.self, .post, "/api/v1/agents/\(APIPath.segment(id))/commands",
                                                 json: command, csrf: form.csrf, request, context)
                return Self.redirect("/console/commands/\(created.id.uuidString.lowercased())")
            }
        }
        console.post("commands") { request, context in
            try await action(request, context, title: "Commands started", section: "Agents") { form, viewer in
                guard let tag = form.trimmed("tag") else { throw ConsoleAPI.Refusal(status: .badRequest, message: "a tag is required") }
                let created = try await api.send([AgentCommandInfo].self, .post, "/api/v1/commands", json: try Self.commandRequest(form, tag: tag),
                                                 csrf: form.csrf, request, context)
                return render(Content(template: "created", data: ["commands": created.map(commandData)], status: .created),
                              title: "Commands started on tag \(tag)", section: "Agents", viewer: viewer)
            }
        }
        console.post("agents/{id}/tags") { request, context in
            let id = try context.parameters.require("id")
            return try await action(request, context, title: "Tags", section: "Agents") { form, _ in
                _ = try await api.send(AgentInfo.self, .put, "/api/v1/agents/\(APIPath.segment(id))/tags",
                                       json: AgentTagsRequest(tags: form.lines("tags")), csrf: form.csrf, request, context)
                return Self.redirect("/console/agents/\(APIPath.segment(id))?notice=tags")
            }
        }
        console.get("agents/{id}/revoke") { request, context in
            let id = try context.parameters.require("id")
            return try await page(request, context, title: "Revoke the agent?", section: "Agents") { _ in
                let agent = try await api.get(AgentInfo.self, "/api/v1/agents/" + APIPath.segment(id), request, context)
                return Content(template: "confirm", data: [
                    "action": "/console/agents/\(APIPath.segment(id))/revoke", "verb": "Revoke \(agent.name)",
                    "question": "Revoke \(agent.name) on \(agent.hostname)? Its certificate is refused on every node from now on; it must enroll again.",
                    "back": "/console/agents/\(APIPath.segment(id))",
                ])
            }
        }
        console.post("agents/{id}/revoke") { request, context in
            let id = try context.parameters.require("id")
            return try await action(request, context, title: "Revoke", section: "Agents") { form, _ in
                _ = try await api.send(AgentInfo.self, .delete, "/api/v1/agents/" + APIPath.segment(id), json: nil, csrf: form.csrf, request, context)
                return Self.redirect("/console/agents/\(APIPath.segment(id))?notice=revoked")
            }
        }
        console.get("commands/{id}") { request, context in
            let id = try context.parameters.require("id")
            return try await page(request, context, title: "Command", section: "Agents", live: "command", liveQuery: APIPath.segment(id)) { viewer in
                let output = try await api.get(AgentCommandOutput.self, "/api/v1/commands/\(APIPath.segment(id))/output", request, context)
                var data = commandData(output.command)
                data["chunks"] = output.chunks.map { ["stream": $0.stream, "text": $0.text] }
                data["after"] = output.chunks.last?.sequence ?? 0
                data["cancellable"] = viewer.atLeast(.operator) && !output.command.isFinished
                return Content(template: "command", data: data)
            }
        }
        console.post("commands/{id}/cancel") { request, context in
            let id = try context.parameters.require("id")
            return try await action(request, context, title: "Cancel", section: "Agents") { form, _ in
                _ = try await api.send(AgentCommandInfo.self, .post, "/api/v1/commands/\(APIPath.segment(id))/cancel", json: nil,
                                       csrf: form.csrf, request, context)
                return Self.redirect("/console/commands/\(APIPath.segment(id))?notice=cancelled")
            }
        }
    }

    /// The form's fields as the API's request; what the API would refuse, it refuses in its words.
    static func commandRequest(_ form: ConsoleForm, tag: String?) throws -> AgentCommandRequest {
        func pairs(_ name: String) throws -> [String: String]? {
            let lines = form.lines(name)
            guard !lines.isEmpty else { return nil }
            var result: [String: String] = [:]
            for line in lines {
                guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                    throw ConsoleAPI.Refusal(status: .badRequest, message: "\(name == "env" ? "environment" : "secrets"): '\(line.prefix(60))' is not NAME=value")
                }
                result[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return result
        }
        let timeout = try form.trimmed("timeout").map { text -> Int in
            guard let value = Int(text) else { throw ConsoleAPI.Refusal(status: .badRequest, message: "timeout: '\(text.prefix(20))' is not a number of seconds") }
            return value
        }
        return AgentCommandRequest(argv: form.lines("argv"), environment: try pairs("env"), secretEnvironment: try pairs("secretEnv"),
                                   workingDirectory: form.trimmed("cwd"), timeoutSeconds: timeout, tag: tag)
    }

    func agentData(_ agent: AgentInfo) -> [String: Any] {
        [
            "id": agent.id.uuidString.lowercased(), "name": agent.name, "hostname": agent.hostname, "os": agent.os,
            "architecture": agent.architecture, "agentVersion": agent.agentVersion, "tagList": ConsoleText.list(agent.tags),
            "state": agent.state, "connectedNode": agent.connectedNode ?? "", "lastSeen": ConsoleText.time(agent.lastSeen),
            "enrolledAt": ConsoleText.time(agent.enrolledAt), "enrolledBy": agent.enrolledBy, "certificateSerial": agent.certificateSerial,
            "certificateExpiresAt": ConsoleText.time(agent.certificateExpiresAt),
        ]
    }

    func commandData(_ command: AgentCommandInfo) -> [String: Any] {
        [
            "id": command.id.uuidString.lowercased(), "agentID": command.agentID.uuidString.lowercased(),
            "argvText": command.argv.joined(separator: " "), "state": command.state, "exitCode": command.exitCode.map(String.init) ?? "",
            "message": command.message ?? "", "createdBy": command.createdBy, "createdAt": ConsoleText.time(command.createdAt),
            "startedAt": ConsoleText.time(command.startedAt), "finishedAt": ConsoleText.time(command.finishedAt), "deliveries": command.deliveries,
        ]
    }
}
