import StewardModel
import Hummingbird
import Logging
import StewardDatabase

/// One line per request on `steward.http`: debug for successes, warning for server errors.
/// Only the path is logged, never the query string or headers (they may carry tokens).
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = StewardRequestContext
    let logger = Logger(label: "steward.http")
    let runtime: NodeRuntime

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        runtime.requestStarted()
        defer { runtime.requestFinished() }
        do {
            let response = try await next(request, context)
            log(request, context, status: Int(response.status.code), started: started)
            return response
        } catch let error as any HTTPResponseError {
            log(request, context, status: Int(error.status.code), started: started)
            throw error
        } catch {
            // Not a deliberate answer: a bug or an outage. The client sees 500; the log says why.
            logger.error("\(request.method) \(request.uri.path) failed: \(DatabaseError.readable(error))")
            log(request, context, status: 500, started: started)
            throw error
        }
    }

    func log(_ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.inMilliseconds
        let level: Logger.Level = status >= 500 ? .warning : .debug
        logger.log(level: level, "\(request.method) \(request.uri.path) \(status) \(milliseconds)ms", metadata: [
            "listener": "\(context.listener.rawValue)",
            "peer": "\(context.remoteAddress?.ipAddress ?? "?")",
        ])
    }
}
