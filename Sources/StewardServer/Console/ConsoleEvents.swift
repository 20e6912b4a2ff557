import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import StewardModel

/// Server-sent events that keep open consoles live. Each stream re-reads through the API (with the
/// browser's own session, so a revoked session ends it) whenever a NOTIFY says something changed
/// and at least every second, because what matters most — a node gone silent — is announced by
/// no one: it is noticed by the passing of time. Any node serves any stream; when a node goes, the
/// browser's EventSource reconnects through the load balancer to another one.
struct ConsoleEvents {
    typealias Context = StewardRequestContext
    let runtime: NodeRuntime
    let api: ConsoleAPI
    let pages: ConsoleRoutes

    /// A browser reconnects after this; streams are ended now and then so none outlives its purpose.
    static let retryMilliseconds = 1000
    static let streamLifetime: Duration = .seconds(600)
    /// A comment this often, so that a proxy's idle timeout (HAProxy's `timeout server`) never cuts a quiet stream.
    static let keepAlive: Duration = .seconds(15)

    func add(to console: RouterGroup<Context>) {
        console.get("events") { request, context in
            let choice = ConsoleRoutes.ChartChoice(request)
            return stream { send in
                var sent: [String: String] = [:]
                var chartDue = ContinuousClock.now
                try await every(.seconds(1), keepAlive: { try await send(nil, [:]) }) {
                    let map = try await pages.mapHTML(request, context)
                    if sent["map"] != map { try await send("map", ["html": map]); sent["map"] = map }
                    if ContinuousClock.now >= chartDue {
                        let chart = try await pages.chartHTML(choice, request, context)
                        if sent["chart"] != chart { try await send("chart", ["html": chart]); sent["chart"] = chart }
                        chartDue = .now + .seconds(5)
                    }
                    return true
                }
            }
        }
        console.get("commands/{id}/events") { request, context in
            let id = try context.parameters.require("id")
            let first = request.uri.queryParameters["after"].flatMap { Int($0) } ?? 0
            return stream { send in
                var lastState = "", after = first
                // Output has no NOTIFY of its own: a command being followed is read a few times a second.
                try await every(.milliseconds(300), keepAlive: { try await send(nil, [:]) }) {
                    let output = try await api.get(AgentCommandOutput.self, "/api/v1/commands/\(APIPath.segment(id))/output?after=\(after)", request, context)
                    for chunk in output.chunks {
                        try await send("chunk", ["sequence": chunk.sequence, "stream": chunk.stream, "text": chunk.text])
                        after = chunk.sequence
                    }
                    let command = output.command
                    let state = "\(command.state) \(command.exitCode.map(String.init) ?? "")"
                    if state != lastState || command.isFinished {
                        try await send("state", [
                            "state": command.state, "exitCode": command.exitCode.map { $0 as Any } ?? NSNull(), "finished": command.isFinished,
                            "startedAt": ConsoleText.time(command.startedAt), "finishedAt": ConsoleText.time(command.finishedAt),
                        ])
                        lastState = state
                    }
                    return !command.isFinished
                }
            }
        }
    }

    /// Sends one event; with no event, a comment line (a keep-alive).
    typealias Send = (_ event: String?, _ data: [String: Any]) async throws -> Void

    /// An event stream whose body runs `produce`; a lost session ends it with a `session` event.
    func stream(_ produce: @escaping @Sendable (Send) async throws -> Void) -> Response {
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: \(Self.retryMilliseconds)\n\n"))
            func send(_ event: String?, _ data: [String: Any]) async throws {
                guard let event else { return try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                let json = try JSONSerialization.data(withJSONObject: data)
                try await writer.write(ByteBuffer(string: "event: \(event)\ndata: \(String(decoding: json, as: UTF8.self))\n\n"))
            }
            do {
                try await produce(send)
            } catch let refusal as ConsoleAPI.Refusal where refusal.status == .unauthorized {
                try await send("session", ["ended": true])
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [
            .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: ConsoleRoutes.contentSecurityPolicy,
        ], body: body)
    }

    /// Runs `step` now, then on every console signal and at least once per `interval`, while it
    /// returns true, the node serves, and the stream is young; a shutting-down node ends its streams
    /// so browsers move on.
    func every(_ interval: Duration, keepAlive: () async throws -> Void, _ step: () async throws -> Bool) async throws {
        let ends = ContinuousClock.now + Self.streamLifetime
        var quietUntil = ContinuousClock.now + Self.keepAlive
        while ContinuousClock.now < ends, !Task.isCancelled, !Task.isShuttingDownGracefully, runtime.acceptsWork {
            let seen = runtime.consoleSignal.generation
            guard try await step() else { return }
            if ContinuousClock.now >= quietUntil {
                try await keepAlive()
                quietUntil = .now + Self.keepAlive
            }
            await runtime.consoleSignal.wait(since: seen, timeout: interval)
        }
    }
}
