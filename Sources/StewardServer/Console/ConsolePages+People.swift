import Foundation
import Hummingbird
import StewardModel

/// Users (admins only, as the API decides), one's own account (tokens, password), and the audit log.
extension ConsoleRoutes {
    func addPeople(to console: RouterGroup<Context>) {
        console.get("users") { request, context in
            try await page(request, context, title: "Users", section: "Users") { _ in
                let users = try await api.get([UserInfo].self, "/api/v1/users", request, context)
                return Content(template: "users", data: ["users": users.map { user -> [String: Any] in
                    [
                        "username": user.username, "role": user.role.rawValue, "status": user.disabled ? "disabled" : "active",
                        "disabled": user.disabled, "createdAt": ConsoleText.time(user.createdAt),
                        "roles": Role.allCases.map { ["value": $0.rawValue, "selected": $0 == user.role] as [String: Any] },
                    ]
                }])
            }
        }
        console.post("users") { request, context in
            try await action(request, context, title: "New user", section: "Users") { form, _ in
                guard let role = form.value("role").flatMap(Role.init(rawValue:)) else {
                    throw ConsoleAPI.Refusal(status: .badRequest, message: "role must be viewer, operator or admin")
                }
                let body = NewUserRequest(username: form.trimmed("username") ?? "", password: form.value("password") ?? "", role: role)
                _ = try await api.send(UserInfo.self, .post, "/api/v1/users", json: body, csrf: form.csrf, request, context)
                return Self.redirect("/console/users?notice=user-created")
            }
        }
        console.post("users/{username}") { request, context in
            let username = try context.parameters.require("username")
            return try await action(request, context, title: "Change \(username)", section: "Users") { form, _ in
                let change = UserChangeRequest(role: form.value("role").flatMap(Role.init(rawValue:)), disabled: form.value("disabled") == "true")
                _ = try await api.send(UserInfo.self, .patch, "/api/v1/users/" + APIPath.segment(username), json: change, csrf: form.csrf, request, context)
                return Self.redirect("/console/users?notice=user-changed")
            }
        }
        console.get("account") { request, context in
            try await page(request, context, title: "Account", section: "Account") { viewer in
                Content(template: "account", data: try await accountData(viewer, request, context))
            }
        }
        console.post("account/tokens") { request, context in
            try await action(request, context, title: "New token", section: "Account") { form, viewer in
                let days = try form.trimmed("days").map { text -> Int in
                    guard let value = Int(text) else { throw ConsoleAPI.Refusal(status: .badRequest, message: "expires in days: '\(text.prefix(20))' is not a number") }
                    return value
                }
                let created = try await api.send(CreatedToken.self, .post, "/api/v1/tokens", json: NewTokenRequest(name: form.trimmed("name") ?? "", expiresInDays: days),
                                                 csrf: form.csrf, request, context)
                // Shown once, on this answer only: never in a URL or a later page.
                var data = try await accountData(viewer, request, context)
                data["secret"] = created.secret
                return render(Content(template: "account", data: data, status: .created), title: "Account", section: "Account", viewer: viewer)
            }
        }
        console.post("account/tokens/{id}/revoke") { request, context in
            let id = try context.parameters.require("id")
            return try await action(request, context, title: "Revoke token", section: "Account") { form, _ in
                _ = try await api.send(.delete, "/api/v1/tokens/" + APIPath.segment(id), body: nil, csrf: form.csrf, request, context)
                return Self.redirect("/console/account?notice=token-revoked")
            }
        }
        console.post("account/password") { request, context in
            try await action(request, context, title: "Change password", section: "Account") { form, _ in
                let change = PasswordChangeRequest(currentPassword: form.value("current") ?? "", newPassword: form.value("new") ?? "")
                _ = try await api.send(ConsoleAPI.Empty.self, .post, "/api/v1/auth/password", json: change, csrf: form.csrf, request, context)
                return Self.redirect("/console/account?notice=password")
            }
        }
        console.get("audit") { request, context in
            try await page(request, context, title: "Audit log", section: "Audit") { _ in
                let query = request.uri.queryParameters
                let action = query["action"].map(String.init) ?? ""
                let path = APIPath.make("/api/v1/audit", [("action", action), ("before", query["before"].map(String.init)), ("limit", "100")])
                let entries = try await api.get([AuditEntry].self, path, request, context)
                var data: [String: Any] = ["action": action, "entries": entries.map { entry -> [String: Any] in
                    [
                        "at": ConsoleText.time(entry.at), "actor": entry.actor, "action": entry.action, "target": entry.target ?? "",
                        "node": entry.node, "sourceAddress": entry.sourceAddress ?? "",
                        "details": entry.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "),
                    ]
                }]
                if entries.count == 100, let last = entries.last { data["older"] = last.id }
                return Content(template: "audit", data: data)
            }
        }
    }

    func accountData(_ viewer: Viewer, _ request: Request, _ context: Context) async throws -> [String: Any] {
        let tokens = try await api.get([TokenInfo].self, "/api/v1/tokens", request, context)
        return [
            "username": viewer.username, "role": viewer.role.rawValue,
            "tokens": tokens.filter { $0.owner == viewer.username }.map { token -> [String: Any] in
                [
                    "id": token.id.description, "name": token.name, "prefix": token.prefix, "createdAt": ConsoleText.time(token.createdAt),
                    "expiresAt": ConsoleText.time(token.expiresAt), "lastUsedAt": ConsoleText.time(token.lastUsedAt),
                    "revoked": token.revokedAt != nil,
                ]
            },
        ]
    }
}
