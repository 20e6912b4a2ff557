import HTTPTypes
import StewardModel

/// Who may call each `/api/v1` route, in one table. A route missing here is refused to everyone
/// (and logged): nothing is open by accident. Tests check every route of the router against it.
public enum AccessPolicy {
    public enum Access: Sendable, Equatable {
        /// No credentials needed (logging in).
        case anyone
        /// An authenticated caller with at least this role.
        case atLeast(Role)
    }

    public static let rules: [String: Access] = [
        "POST /api/v1/auth/login": .anyone,
        "POST /api/v1/auth/logout": .atLeast(.viewer),
        "GET /api/v1/auth/me": .atLeast(.viewer),
        "POST /api/v1/auth/password": .atLeast(.viewer),
        "GET /api/v1/cluster/info": .atLeast(.viewer),
        "GET /api/v1/cluster/summary": .atLeast(.viewer),
        "GET /api/v1/cluster/nodes": .atLeast(.viewer),
        "GET /api/v1/cluster/nodes/{node}": .atLeast(.viewer),
        "POST /api/v1/cluster/nodes/{node}/drain": .atLeast(.operator),
        "DELETE /api/v1/cluster/nodes/{node}": .atLeast(.operator),
        "GET /api/v1/cluster/settings": .atLeast(.admin),
        "GET /api/v1/cluster/settings/{key}": .atLeast(.admin),
        "PUT /api/v1/cluster/settings/{key}": .atLeast(.admin),
        "GET /api/v1/users": .atLeast(.admin),
        "POST /api/v1/users": .atLeast(.admin),
        "PATCH /api/v1/users/{username}": .atLeast(.admin),
        "POST /api/v1/users/{username}/password": .atLeast(.admin),
        // Everyone manages their own tokens; the handlers let only admins touch others'.
        "GET /api/v1/tokens": .atLeast(.viewer),
        "POST /api/v1/tokens": .atLeast(.viewer),
        "DELETE /api/v1/tokens/{id}": .atLeast(.viewer),
        "GET /api/v1/audit": .atLeast(.admin),
        "GET /api/v1/secrets": .atLeast(.operator),
        "GET /api/v1/secrets/{name}": .atLeast(.operator),
        "PUT /api/v1/secrets/{name}": .atLeast(.admin),
        "DELETE /api/v1/secrets/{name}": .atLeast(.admin),
        "POST /api/v1/secrets/{name}/verify": .atLeast(.admin),
        "GET /api/v1/keys": .atLeast(.admin),
        "POST /api/v1/keys/rotation": .atLeast(.admin),
        "POST /api/v1/keys/rotation/batch": .atLeast(.admin),
        "POST /api/v1/keys/rotation/finish": .atLeast(.admin),
        "POST /api/v1/keys/reseal": .atLeast(.admin),
        // The CA's certificate and pin are public: agents check the pin before they trust anything.
        "GET /api/v1/ca": .atLeast(.viewer),
        "GET /api/v1/jobs": .atLeast(.viewer),
        "GET /api/v1/jobs/stats": .atLeast(.viewer),
        "GET /api/v1/jobs/{id}": .atLeast(.viewer),
        "POST /api/v1/jobs/{id}/cancel": .atLeast(.operator),
        // A job does whatever its kind does: only admins enqueue by hand.
        "POST /api/v1/jobs": .atLeast(.admin),
        "POST /api/v1/jobs/batch": .atLeast(.admin),
        "GET /api/v1/schedules": .atLeast(.viewer),
        "GET /api/v1/schedules/{schedule}": .atLeast(.viewer),
        "GET /api/v1/schedules/{schedule}/firings": .atLeast(.viewer),
        "POST /api/v1/schedules": .atLeast(.admin),
        "PATCH /api/v1/schedules/{schedule}": .atLeast(.admin),
        "POST /api/v1/schedules/{schedule}/pause": .atLeast(.operator),
        "POST /api/v1/schedules/{schedule}/resume": .atLeast(.operator),
        "DELETE /api/v1/schedules/{schedule}": .atLeast(.admin),
        // Anyone signed in may see the seats and keys; only admins change them.
        "GET /api/v1/license": .atLeast(.viewer),
        "GET /api/v1/license/usage": .atLeast(.viewer),
        "GET /api/v1/licenses": .atLeast(.viewer),
        "GET /api/v1/licenses/{id}": .atLeast(.viewer),
        "POST /api/v1/licenses": .atLeast(.admin),
        "DELETE /api/v1/licenses/{id}": .atLeast(.admin),
        // Operators hand out enrollment tokens and revoke agents; an agent enrolls with its token alone.
        "POST /api/v1/agents/enrollment-tokens": .atLeast(.operator),
        "POST /api/v1/agents/enroll": .anyone,
        "GET /api/v1/agents": .atLeast(.viewer),
        "GET /api/v1/agents/{id}": .atLeast(.viewer),
        "DELETE /api/v1/agents/{id}": .atLeast(.operator),
        "PUT /api/v1/agents/{id}/tags": .atLeast(.operator),
        // Operators run commands; anyone signed in reads them and their output.
        "POST /api/v1/agents/{id}/commands": .atLeast(.operator),
        "GET /api/v1/agents/{id}/commands": .atLeast(.viewer),
        "POST /api/v1/commands": .atLeast(.operator),
        "GET /api/v1/commands/{id}": .atLeast(.viewer),
        "GET /api/v1/commands/{id}/output": .atLeast(.viewer),
        "POST /api/v1/commands/{id}/cancel": .atLeast(.operator),
        // Prometheus scrapes with a viewer's token.
        "GET /metrics": .atLeast(.viewer),
    ]

    public static func rule(method: HTTPRequest.Method, path: String) -> Access? {
        rules["\(method.rawValue) \(path)"]
    }
}
