import Mustache

/// The console's templates, compiled into the binary so a node needs no files of its own to serve
/// them. `{{x}}` is HTML-escaped; `{{{x}}}` is used only for HTML the console made itself (SVG,
/// times, other templates). Every control has a label or an accessible name.
enum ConsoleTemplates {
    /// The templates that parse, and why any did not. The unit tests parse every one; should one
    /// still fail, its pages say so instead of the node stopping.
    static let library: (templates: MustacheLibrary, failures: [String: String]) = {
        var library = MustacheLibrary()
        var failures: [String: String] = [:]
        for (name, text) in all {
            do { try library.register(text, named: name) } catch { failures[name] = "\(error)" }
        }
        return (library, failures)
    }()

    static func render(_ name: String, _ data: [String: Any]) -> String {
        if let failure = library.failures[name] { return "<p class=\"error\">console template \(name) does not parse: \(ConsoleCharts.escape(failure))</p>" }
        return library.templates.render(data, withTemplate: name) ?? "<p class=\"error\">console template \(name) is missing</p>"
    }

    static let csrfField = #"<input type="hidden" name="csrf" value="{{csrf}}">"#

    static let all: [String: String] = [
        "layout": """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Steward</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        <script src="/console/assets/console.js" defer></script>
        </head>
        <body data-live="{{live}}" data-live-query="{{liveQuery}}">
        <a class="skip" href="#main">Skip to content</a>
        {{#user}}
        <header>
        <nav aria-label="Main">
        <a class="brand" href="/console/">Steward</a>
        <ul>
        {{#navigation}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/navigation}}
        </ul>
        <form method="post" action="/console/logout" class="logout">
        \(csrfField)
        <button type="submit">Log out {{username}}</button>
        </form>
        </nav>
        </header>
        {{/user}}
        <main id="main" tabindex="-1">
        <h1>{{title}}</h1>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        {{{content}}}
        </main>
        <footer><p>Served by node {{servedBy}} · <span id="live-status" role="status">{{#live}}live updates need script{{/live}}</span></p></footer>
        </body>
        </html>
        """,

        "login": """
        <form method="post" action="/console/login" class="card narrow">
        <input type="hidden" name="csrf" value="{{loginToken}}">
        <input type="hidden" name="next" value="{{next}}">
        <p><label for="username">Username</label><input id="username" name="username" autocomplete="username" required maxlength="128" value="{{username}}" autofocus></p>
        <p><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></p>
        <p><button type="submit">Log in</button></p>
        </form>
        """,

        "message": """
        <p class="error" role="alert">{{message}}</p>
        {{#back}}<p><a href="{{back}}">Back</a></p>{{/back}}
        """,

        "confirm": """
        <form method="post" action="{{action}}" class="card narrow">
        \(csrfField)
        <p>{{question}}</p>
        <p><button type="submit" class="danger">{{verb}}</button> <a href="{{back}}">Cancel</a></p>
        </form>
        """,

        "system": """
        <section aria-labelledby="map-heading">
        <h2 id="map-heading">Nodes</h2>
        <div id="live-map">{{{map}}}</div>
        </section>
        <section aria-labelledby="chart-heading">
        <h2 id="chart-heading">Jobs in the last hour</h2>
        <form method="get" action="/console/" class="inline" id="chart-form">
        <label for="chart">Chart</label>
        <select id="chart" name="chart">
        {{#charts}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/charts}}
        </select>
        <button type="submit">Show</button>
        </form>
        <div id="live-chart">{{{chart}}}</div>
        </section>
        """,

        "map": """
        <p class="summary" data-status="{{status}}">{{onlineNodes}} of {{totalNodes}} nodes online</p>
        <ul class="node-map">
        {{#nodes}}
        <li class="node state-{{stateCode}}" data-node="{{name}}" data-state="{{stateCode}}">
        <h3><a href="/console/nodes/{{name}}">{{name}}</a>{{#serving}} <span class="tag">this node</span>{{/serving}}</h3>
        <p class="state" data-field="state">{{state}}</p>
        <dl>
        <dt>Version</dt><dd data-field="version">{{softwareVersion}}</dd>
        <dt>Host</dt><dd data-field="host">{{host}}</dd>
        <dt>Uptime</dt><dd data-field="uptime">{{uptime}}</dd>
        <dt>Clock skew</dt><dd data-field="skew">{{clockSkewMilliseconds}} ms</dd>
        <dt>Agents</dt><dd data-field="agents">{{agentsConnected}}</dd>
        <dt>Jobs, last hour</dt><dd data-field="jobs">{{jobs}}</dd>
        </dl>
        <div data-field="spark">{{{spark}}}</div>
        </li>
        {{/nodes}}
        </ul>
        """,

        "chart": """
        {{{svg}}}
        <table class="data" aria-label="{{title}}: the numbers">
        <thead><tr>{{#byNode}}<th scope="col">Node</th>{{/byNode}}{{#byKind}}<th scope="col">Type</th>{{/byKind}}<th scope="col">Succeeded</th><th scope="col">Failed</th><th scope="col">Retried</th></tr></thead>
        <tbody>
        {{#rows}}<tr class="stat-row" data-node="{{node}}" data-kind="{{kind}}">{{#byNode}}<td>{{node}}</td>{{/byNode}}{{#byKind}}<td>{{kind}}</td>{{/byKind}}<td class="succeeded">{{succeeded}}</td><td class="failed">{{failed}}</td><td>{{retried}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="5">No jobs finished in the last hour.</td></tr>{{/rows}}
        </tbody>
        </table>
        <p class="muted">Waiting now: {{ready}} ready, {{scheduled}} scheduled, {{running}} running.</p>
        """,

        "nodes": """
        <table class="data" id="nodes">
        <thead><tr><th scope="col">Node</th><th scope="col">State</th><th scope="col">Version</th><th scope="col">Host</th><th scope="col">Uptime</th><th scope="col">Last seen</th><th scope="col">Agents</th></tr></thead>
        <tbody>
        {{#nodes}}<tr data-node="{{name}}"><td><a href="/console/nodes/{{name}}">{{name}}</a></td><td data-field="state">{{state}}</td><td>{{softwareVersion}}</td><td>{{host}}</td><td>{{uptime}}</td><td>{{{lastSeen}}}</td><td>{{agentsConnected}}</td></tr>{{/nodes}}
        </tbody>
        </table>
        """,

        "node": """
        <dl class="facts">
        <dt>State</dt><dd id="node-state">{{state}}</dd>
        <dt>Detail</dt><dd>{{detail}}</dd>
        <dt>Node id</dt><dd>{{nodeID}}</dd>
        <dt>Version</dt><dd>{{softwareVersion}}</dd>
        <dt>Host</dt><dd>{{host}}</dd>
        <dt>Ports</dt><dd>HTTP {{httpPort}}, HTTPS {{httpsPort}}, agents {{webSocketPort}}</dd>
        <dt>Started</dt><dd>{{{startedAt}}}</dd>
        <dt>Last seen</dt><dd>{{{lastSeen}}}</dd>
        <dt>Uptime</dt><dd>{{uptime}}</dd>
        <dt>Clock skew</dt><dd>{{clockSkewMilliseconds}} ms</dd>
        <dt>Requests in flight</dt><dd>{{requestsInFlight}}</dd>
        <dt>Agents connected</dt><dd>{{agentsConnected}}</dd>
        <dt>Incarnation</dt><dd>{{incarnation}}</dd>
        </dl>
        {{#canOperate}}
        <div class="actions">
        {{#canDrain}}<a class="button" href="/console/nodes/{{name}}/drain">Drain {{name}}</a>{{/canDrain}}
        {{#canDecommission}}<a class="button danger" href="/console/nodes/{{name}}/decommission">Decommission {{name}}</a>{{/canDecommission}}
        {{#whyNotDecommission}}<p class="muted" id="why-not-decommission">{{whyNotDecommission}}</p>{{/whyNotDecommission}}
        </div>
        {{/canOperate}}
        """,

        "agents": """
        <form method="get" action="/console/agents" class="inline">
        <label for="tag">Tag</label><input id="tag" name="tag" value="{{tag}}" maxlength="64">
        <label for="state">State</label>
        <select id="state" name="state">{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/states}}</select>
        <button type="submit">Filter</button>
        </form>
        <table class="data" id="agents">
        <thead><tr><th scope="col">Agent</th><th scope="col">Host</th><th scope="col">System</th><th scope="col">Version</th><th scope="col">Tags</th><th scope="col">State</th><th scope="col">Node</th><th scope="col">Last seen</th></tr></thead>
        <tbody>
        {{#agents}}<tr data-agent="{{id}}"><td><a href="/console/agents/{{id}}">{{name}}</a></td><td>{{hostname}}</td><td>{{os}}/{{architecture}}</td><td>{{agentVersion}}</td><td>{{tagList}}</td><td data-field="state">{{state}}</td><td>{{connectedNode}}</td><td>{{{lastSeen}}}</td></tr>{{/agents}}
        {{^agents}}<tr><td colspan="8">No agents match.</td></tr>{{/agents}}
        </tbody>
        </table>
        {{#canOperate}}
        <section aria-labelledby="by-tag-heading">
        <h2 id="by-tag-heading">Run a command on every agent with a tag</h2>
        <form method="post" action="/console/commands" class="card">
        \(csrfField)
        <p><label for="run-tag">Tag</label><input id="run-tag" name="tag" required maxlength="64" value="{{tag}}"></p>
        {{> commandFields}}
        <p><button type="submit">Run on the tag</button></p>
        </form>
        </section>
        {{/canOperate}}
        """,

        "commandFields": """
        <p><label for="argv">Program and arguments, one per line</label><textarea id="argv" name="argv" rows="3" required></textarea></p>
        <p><label for="env">Environment, one NAME=value per line</label><textarea id="env" name="env" rows="2"></textarea></p>
        <p><label for="secret-env">Secrets, one NAME=secret-name per line</label><textarea id="secret-env" name="secretEnv" rows="2"></textarea></p>
        <p><label for="cwd">Working directory</label><input id="cwd" name="cwd" maxlength="1024"></p>
        <p><label for="timeout">Timeout in seconds</label><input id="timeout" name="timeout" inputmode="numeric" pattern="[0-9]*" value="300" maxlength="6"></p>
        """,

        "agent": """
        <dl class="facts">
        <dt>State</dt><dd id="agent-state">{{state}}</dd>
        <dt>Connected to</dt><dd>{{connectedNode}}</dd>
        <dt>Agent id</dt><dd>{{id}}</dd>
        <dt>Host</dt><dd>{{hostname}}</dd>
        <dt>System</dt><dd>{{os}}/{{architecture}}</dd>
        <dt>Agent version</dt><dd>{{agentVersion}}</dd>
        <dt>Tags</dt><dd>{{tagList}}</dd>
        <dt>Last seen</dt><dd>{{{lastSeen}}}</dd>
        <dt>Enrolled</dt><dd>{{{enrolledAt}}} by {{enrolledBy}}</dd>
        <dt>Certificate</dt><dd>serial {{certificateSerial}}, expires {{{certificateExpiresAt}}}</dd>
        </dl>
        <section aria-labelledby="commands-heading">
        <h2 id="commands-heading">Recent commands</h2>
        <table class="data" id="commands">
        <thead><tr><th scope="col">Command</th><th scope="col">State</th><th scope="col">Exit code</th><th scope="col">By</th><th scope="col">Created</th></tr></thead>
        <tbody>
        {{#commands}}<tr><td><a href="/console/commands/{{id}}">{{argvText}}</a></td><td>{{state}}</td><td>{{exitCode}}</td><td>{{createdBy}}</td><td>{{{createdAt}}}</td></tr>{{/commands}}
        {{^commands}}<tr><td colspan="5">No commands yet.</td></tr>{{/commands}}
        </tbody>
        </table>
        </section>
        {{#canOperate}}
        <section aria-labelledby="run-heading">
        <h2 id="run-heading">Run a command</h2>
        <form method="post" action="/console/agents/{{id}}/commands" class="card">
        \(csrfField)
        {{> commandFields}}
        <p><button type="submit">Run</button></p>
        </form>
        </section>
        <section aria-labelledby="tags-heading">
        <h2 id="tags-heading">Tags</h2>
        <form method="post" action="/console/agents/{{id}}/tags" class="card">
        \(csrfField)
        <p><label for="tags">Tags, one per line</label><textarea id="tags" name="tags" rows="3">{{tagLines}}</textarea></p>
        <p><button type="submit">Save tags</button></p>
        </form>
        {{^revoked}}<p><a class="button danger" href="/console/agents/{{id}}/revoke">Revoke {{name}}</a></p>{{/revoked}}
        </section>
        {{/canOperate}}
        """,

        "created": """
        <ul>{{#commands}}<li><a href="/console/commands/{{id}}">{{argvText}}</a> on agent {{agentID}}: {{state}}</li>{{/commands}}</ul>
        {{^commands}}<p>No agent has that tag.</p>{{/commands}}
        """,

        "command": """
        <dl class="facts">
        <dt>Agent</dt><dd><a href="/console/agents/{{agentID}}">{{agentID}}</a></dd>
        <dt>Program</dt><dd><code>{{argvText}}</code></dd>
        <dt>State</dt><dd id="command-state">{{state}}</dd>
        <dt>Exit code</dt><dd id="command-exit">{{exitCode}}</dd>
        <dt>Message</dt><dd>{{message}}</dd>
        <dt>Created</dt><dd>{{{createdAt}}} by {{createdBy}}</dd>
        <dt>Started</dt><dd id="command-started">{{{startedAt}}}</dd>
        <dt>Finished</dt><dd id="command-finished">{{{finishedAt}}}</dd>
        <dt>Deliveries</dt><dd>{{deliveries}}</dd>
        </dl>
        <h2 id="output-heading">Output</h2>
        <pre id="output" aria-labelledby="output-heading" data-after="{{after}}" tabindex="0">{{#chunks}}<span class="{{stream}}">{{text}}</span>{{/chunks}}</pre>
        {{#cancellable}}
        <form method="post" action="/console/commands/{{id}}/cancel" id="cancel-form">
        \(csrfField)
        <button type="submit" class="danger">Cancel the command</button>
        </form>
        {{/cancellable}}
        """,

        "jobs": """
        <form method="get" action="/console/jobs" class="inline">
        <label for="job-state">State</label>
        <select id="job-state" name="state">{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/states}}</select>
        <label for="job-kind">Type</label><input id="job-kind" name="kind" value="{{kind}}" maxlength="128">
        <button type="submit">Filter</button>
        </form>
        <table class="data" id="jobs">
        <thead><tr><th scope="col">Job</th><th scope="col">Type</th><th scope="col">State</th><th scope="col">Node</th><th scope="col">Attempt</th><th scope="col">Created</th><th scope="col">Finished</th><th scope="col">Error</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
        <tbody>
        {{#jobs}}<tr data-job="{{id}}"><td>{{id}}</td><td>{{kind}}</td><td>{{state}}</td><td>{{node}}</td><td>{{attempt}}/{{maxAttempts}}</td><td>{{{createdAt}}}</td><td>{{{finishedAt}}}</td><td>{{lastError}}</td>
        <td>{{#cancellable}}<form method="post" action="/console/jobs/{{id}}/cancel">\(csrfField)<button type="submit" aria-label="Cancel job {{id}}">Cancel</button></form>{{/cancellable}}</td></tr>{{/jobs}}
        {{^jobs}}<tr><td colspan="9">No jobs match.</td></tr>{{/jobs}}
        </tbody>
        </table>
        {{#next}}<p><a href="/console/jobs?before={{next}}&amp;state={{stateFilter}}&amp;kind={{kind}}">Older jobs</a></p>{{/next}}
        """,

        "schedules": """
        <table class="data" id="schedules">
        <thead><tr><th scope="col">Schedule</th><th scope="col">Type</th><th scope="col">When</th><th scope="col">Paused</th><th scope="col">Next</th><th scope="col">Last firing</th></tr></thead>
        <tbody>
        {{#schedules}}<tr><td><a href="/console/schedules/{{name}}">{{name}}</a></td><td>{{kind}}</td><td>{{when}}</td><td>{{pausedText}}</td><td>{{{nextSlot}}}</td><td>{{lastFiring}}</td></tr>{{/schedules}}
        </tbody>
        </table>
        """,

        "schedule": """
        <dl class="facts"><dt>Type</dt><dd>{{kind}}</dd><dt>When</dt><dd>{{when}} ({{timeZone}})</dd><dt>Misfire</dt><dd>{{misfire}}</dd><dt>Next</dt><dd>{{{nextSlot}}}</dd><dt>Paused</dt><dd>{{pausedText}}</dd></dl>
        <h2>Firings</h2>
        <table class="data" id="firings">
        <thead><tr><th scope="col">Slot</th><th scope="col">Fired</th><th scope="col">By</th><th scope="col">Outcome</th><th scope="col">Jobs</th><th scope="col">Missed</th></tr></thead>
        <tbody>
        {{#firings}}<tr><td>{{{slot}}}</td><td>{{{firedAt}}}</td><td>{{firedBy}}</td><td>{{outcome}}</td><td>{{jobList}}</td><td>{{missed}}</td></tr>{{/firings}}
        {{^firings}}<tr><td colspan="6">Not fired yet.</td></tr>{{/firings}}
        </tbody>
        </table>
        """,

        "licenses": """
        {{#warnings}}<p class="error" role="alert">{{.}}</p>{{/warnings}}
        <table class="data" id="seats">
        <thead><tr><th scope="col">Seats</th><th scope="col">In use</th><th scope="col">Licensed</th><th scope="col">Free</th><th scope="col">Trial</th></tr></thead>
        <tbody>{{#seats}}<tr data-kind="{{kind}}"><td>{{kind}}</td><td class="in-use">{{inUse}}</td><td class="licensed">{{licensed}}</td><td>{{free}}</td><td>{{trialText}}</td></tr>{{/seats}}</tbody>
        </table>
        <h2>Licenses</h2>
        <table class="data" id="licenses">
        <thead><tr><th scope="col">Licensee</th><th scope="col">User seats</th><th scope="col">Agent seats</th><th scope="col">Valid from</th><th scope="col">Expires</th><th scope="col">Grace ends</th><th scope="col">Standing</th></tr></thead>
        <tbody>
        {{#licenses}}<tr><td>{{licensee}}</td><td>{{userSeats}}</td><td>{{agentSeats}}</td><td>{{{notBefore}}}</td><td>{{{expiresAt}}}</td><td>{{{graceEndsAt}}}</td><td>{{standing}}{{#warning}} — {{warning}}{{/warning}}</td></tr>{{/licenses}}
        {{^licenses}}<tr><td colspan="7">No license installed: the trial seats apply.</td></tr>{{/licenses}}
        </tbody>
        </table>
        <h2>Usage, last 7 days</h2>
        {{#charts}}<h3>{{kind}} seats</h3>{{{svg}}}{{/charts}}
        """,

        "users": """
        <table class="data" id="users">
        <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Change</th></tr></thead>
        <tbody>
        {{#users}}<tr data-user="{{username}}"><td>{{username}}</td><td>{{role}}</td><td>{{status}}</td><td>{{{createdAt}}}</td>
        <td><form method="post" action="/console/users/{{username}}" class="inline">\(csrfField)
        <label for="role-{{username}}">Role for {{username}}</label>
        <select id="role-{{username}}" name="role">{{#roles}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/roles}}</select>
        <label for="disabled-{{username}}">Disabled</label><input type="checkbox" id="disabled-{{username}}" name="disabled" value="true"{{#disabled}} checked{{/disabled}}>
        <button type="submit" aria-label="Save {{username}}">Save</button></form></td></tr>{{/users}}
        </tbody>
        </table>
        <h2>New user</h2>
        <form method="post" action="/console/users" class="card">
        \(csrfField)
        <p><label for="new-username">Username</label><input id="new-username" name="username" required maxlength="128" autocomplete="off"></p>
        <p><label for="new-password">Password</label><input id="new-password" name="password" type="password" required autocomplete="new-password"></p>
        <p><label for="new-role">Role</label><select id="new-role" name="role"><option>viewer</option><option>operator</option><option>admin</option></select></p>
        <p><button type="submit">Create user</button></p>
        </form>
        """,

        "account": """
        <p>Signed in as <strong>{{username}}</strong> ({{role}}).</p>
        {{#secret}}<div class="card" role="status"><p>Your new token — copy it now, it is not shown again:</p><p><code id="new-token">{{secret}}</code></p></div>{{/secret}}
        <h2>API tokens</h2>
        <table class="data" id="tokens">
        <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
        <tbody>
        {{#tokens}}<tr><td>{{name}}</td><td><code>{{prefix}}</code></td><td>{{{createdAt}}}</td><td>{{{expiresAt}}}</td><td>{{{lastUsedAt}}}</td>
        <td>{{^revoked}}<form method="post" action="/console/account/tokens/{{id}}/revoke">\(csrfField)<button type="submit" aria-label="Revoke token {{name}}">Revoke</button></form>{{/revoked}}{{#revoked}}revoked{{/revoked}}</td></tr>{{/tokens}}
        {{^tokens}}<tr><td colspan="6">No tokens.</td></tr>{{/tokens}}
        </tbody>
        </table>
        <form method="post" action="/console/account/tokens" class="card">
        \(csrfField)
        <p><label for="token-name">Token name</label><input id="token-name" name="name" required maxlength="64"></p>
        <p><label for="token-days">Expires in days</label><input id="token-days" name="days" inputmode="numeric" pattern="[0-9]*" value="90" maxlength="5"></p>
        <p><button type="submit">Create token</button></p>
        </form>
        <h2>Password</h2>
        <form method="post" action="/console/account/password" class="card">
        \(csrfField)
        <p><label for="current-password">Current password</label><input id="current-password" name="current" type="password" required autocomplete="current-password"></p>
        <p><label for="new-own-password">New password</label><input id="new-own-password" name="new" type="password" required autocomplete="new-password"></p>
        <p><button type="submit">Change password</button></p>
        </form>
        """,

        "audit": """
        <form method="get" action="/console/audit" class="inline">
        <label for="action">Action</label><input id="action" name="action" value="{{action}}" maxlength="128">
        <button type="submit">Filter</button>
        </form>
        <table class="data" id="audit">
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Node</th><th scope="col">From</th><th scope="col">Details</th></tr></thead>
        <tbody>
        {{#entries}}<tr data-action="{{action}}"><td>{{{at}}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{target}}</td><td>{{node}}</td><td>{{sourceAddress}}</td><td>{{details}}</td></tr>{{/entries}}
        {{^entries}}<tr><td colspan="7">No entries match.</td></tr>{{/entries}}
        </tbody>
        </table>
        {{#older}}<p><a href="/console/audit?before={{older}}&amp;action={{action}}">Older entries</a></p>{{/older}}
        """,
    ]
}
