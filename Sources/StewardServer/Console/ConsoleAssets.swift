/// The console's one stylesheet and one script, compiled in: nothing is loaded from anywhere else.
/// The pages work without the script; it only localizes times, keeps the node map, the job chart
/// and a command's output live (server-sent events), and submits the chart selector on change.
enum ConsoleAssets {
    static let stylesheet = """
    :root { --fg: #1a202c; --muted: #4a5568; --line: #cbd5e0; --accent: #2b6cb0; --bad: #c53030; --ok: #2f855a; --warn: #b7791f; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: #f7fafc; }
    a { color: var(--accent); }
    a:focus, button:focus, input:focus, select:focus, textarea:focus, pre:focus { outline: 3px solid #f6ad55; outline-offset: 1px; }
    .skip { position: absolute; left: -999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    header { background: #1a365d; color: #fff; }
    nav { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 16px; padding: 8px 24px; }
    nav ul { display: flex; flex-wrap: wrap; gap: 4px 14px; list-style: none; margin: 0; padding: 0; flex: 1; }
    nav a { color: #fff; text-decoration: none; } nav a[aria-current=page] { text-decoration: underline; font-weight: 600; }
    nav .brand { font-weight: 700; font-size: 17px; }
    main { padding: 8px 24px 24px; max-width: 1200px; }
    footer { padding: 8px 24px; color: var(--muted); font-size: 13px; }
    h1 { font-size: 24px; } h2 { font-size: 18px; margin-top: 28px; }
    .notice { background: #e6fffa; border-left: 4px solid var(--ok); padding: 8px 12px; }
    .error { background: #fff5f5; border-left: 4px solid var(--bad); padding: 8px 12px; }
    .muted { color: var(--muted); }
    .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; max-width: 720px; }
    .narrow { max-width: 360px; }
    .card label { display: block; font-weight: 600; margin-bottom: 2px; }
    input, select, textarea { font: inherit; padding: 4px 6px; border: 1px solid #a0aec0; border-radius: 4px; }
    .card input, .card textarea { width: 100%; }
    form.inline { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 8px 0; }
    form.logout { margin: 0; }
    button, .button { font: inherit; cursor: pointer; background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: 5px 12px; text-decoration: none; display: inline-block; }
    .danger { background: var(--bad); }
    table.data { border-collapse: collapse; width: 100%; background: #fff; }
    table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
    table.data form { margin: 0; }
    .node-map { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; list-style: none; padding: 0; }
    .node { background: #fff; border: 1px solid var(--line); border-top: 6px solid var(--muted); border-radius: 6px; padding: 6px 12px 10px; }
    .node h3 { margin: 4px 0; font-size: 16px; }
    .node dl { display: grid; grid-template-columns: auto 1fr; gap: 0 10px; margin: 6px 0; font-size: 13px; }
    .node dt { color: var(--muted); } .node dd { margin: 0; }
    .node .state { font-weight: 600; margin: 0; }
    .state-online { border-top-color: var(--ok); } .state-draining, .state-joining { border-top-color: var(--warn); }
    .state-offline, .state-upgrade_required { border-top-color: var(--bad); } .state-decommissioned { opacity: .6; }
    .tag { background: #ebf8ff; color: var(--accent); border-radius: 8px; padding: 0 6px; font-size: 12px; font-weight: 400; }
    .facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
    .facts dt { color: var(--muted); } .facts dd { margin: 0; }
    .actions { display: flex; gap: 10px; align-items: center; margin: 16px 0; flex-wrap: wrap; }
    .chart { width: 100%; max-width: 760px; height: auto; background: #fff; border: 1px solid var(--line); }
    pre#output { background: #1a202c; color: #e2e8f0; padding: 10px; min-height: 4em; max-height: 480px; overflow: auto; white-space: pre-wrap; }
    pre#output .stderr { color: #feb2b2; }
    @media print { header, footer, form { display: none; } body { background: #fff; } }
    """

    static let script = #"""
    "use strict";
    (function () {
      function localTimes(root) {
        root.querySelectorAll("time[datetime], [data-time]").forEach(function (element) {
          var date = new Date(element.getAttribute("datetime") || element.getAttribute("data-time"));
          if (isNaN(date.getTime())) { return; }
          if (element.tagName.toLowerCase() === "time" || element.getAttribute("data-format") === "datetime") {
            element.textContent = date.toLocaleString();
          } else {
            element.textContent = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
          }
        });
      }
      function status(text) {
        var element = document.getElementById("live-status");
        if (element) { element.textContent = text; }
      }
      function replace(id, html) {
        var element = document.getElementById(id);
        if (element) { element.innerHTML = html; localTimes(element); }
      }
      // The map is patched field by field, not replaced: links keep their focus, and a keyboard
      // or screen-reader user is not thrown back every second. A node added or gone redraws it.
      function patchMap(html) {
        var map = document.getElementById("live-map");
        if (!map) { return; }
        var fresh = document.createElement("div");
        fresh.innerHTML = html;
        var before = map.querySelectorAll("[data-node]"), after = fresh.querySelectorAll("[data-node]");
        var same = before.length === after.length && Array.prototype.every.call(after, function (node, index) {
          return before[index].getAttribute("data-node") === node.getAttribute("data-node");
        });
        if (!same) { replace("live-map", html); return; }
        Array.prototype.forEach.call(after, function (node, index) {
          var old = before[index];
          old.className = node.className;
          old.setAttribute("data-state", node.getAttribute("data-state"));
          node.querySelectorAll("[data-field]").forEach(function (field) {
            var target = old.querySelector('[data-field="' + field.getAttribute("data-field") + '"]');
            if (target && target.innerHTML !== field.innerHTML) { target.innerHTML = field.innerHTML; }
          });
        });
        var summary = fresh.querySelector(".summary"), shown = map.querySelector(".summary");
        if (summary && shown) { shown.textContent = summary.textContent; shown.setAttribute("data-status", summary.getAttribute("data-status")); }
      }
      function liveSystem() {
        var source = new EventSource("/console/events" + (document.body.getAttribute("data-live-query") || ""));
        source.addEventListener("map", function (event) {
          patchMap(JSON.parse(event.data).html);
          status("live, updated " + new Date().toLocaleTimeString());
        });
        source.addEventListener("chart", function (event) { replace("live-chart", JSON.parse(event.data).html); });
        source.addEventListener("session", function () { source.close(); window.location.assign("/console/login"); });
        source.onerror = function () { status("connection lost, reconnecting"); };
      }
      function liveCommand() {
        var output = document.getElementById("output");
        var id = document.body.getAttribute("data-live-query");
        var source = new EventSource("/console/commands/" + id + "/events?after=" + (output.getAttribute("data-after") || "0"));
        source.addEventListener("chunk", function (event) {
          var chunk = JSON.parse(event.data), span = document.createElement("span");
          span.className = chunk.stream;
          span.textContent = chunk.text;
          output.appendChild(span);
          output.setAttribute("data-after", String(chunk.sequence));
        });
        source.addEventListener("state", function (event) {
          var state = JSON.parse(event.data);
          document.getElementById("command-state").textContent = state.state;
          document.getElementById("command-exit").textContent = state.exitCode === null ? "" : String(state.exitCode);
          replace("command-started", state.startedAt);
          replace("command-finished", state.finishedAt);
          if (state.finished) {
            source.close();
            status("finished");
            var cancel = document.getElementById("cancel-form");
            if (cancel) { cancel.remove(); }
          } else {
            status("following the output");
          }
        });
        source.onerror = function () { status("connection lost, reconnecting"); };
      }
      localTimes(document);
      var chart = document.getElementById("chart");
      if (chart) { chart.addEventListener("change", function () { chart.form.submit(); }); }
      var live = document.body.getAttribute("data-live");
      if (live === "system" && window.EventSource) { liveSystem(); }
      if (live === "command" && window.EventSource) { liveCommand(); }
    })();
    """#
}
