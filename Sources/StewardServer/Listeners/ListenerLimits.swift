import NIOCore
import StewardConfiguration

/// The listeners' limits as the channel handlers use them, and the body limit of each route.
struct ListenerLimits: Sendable {
    let handshake: Duration
    let header: Duration
    let idle: Duration
    let body: Duration
    let maxHeaderSize: Int

    init(_ configuration: ListenerConfiguration) {
        handshake = configuration.handshakeTimeout
        header = configuration.headerTimeout
        idle = configuration.idleTimeout
        body = configuration.bodyTimeout
        maxHeaderSize = configuration.maxHeaderSize
    }

    /// Credentials are a few hundred bytes; nothing else the API takes comes near a mebibyte.
    static let loginBodyLimit = 16 * 1024
    static let apiBodyLimit = 1024 * 1024
    /// Health checks and the agent upgrade take no body.
    static let otherBodyLimit = 4 * 1024

    /// The most a request to `path` may send. Decided from the path alone, before any routing, so
    /// that an announced size over it is refused before a byte of the body is read.
    static func bodyLimit(path: Substring) -> Int {
        let path = path.prefix { $0 != "?" }
        if path == "/api/v1/auth/login" || path == "/api/v1/auth/password" { return loginBodyLimit }
        if path.hasPrefix("/api/") { return apiBodyLimit }
        return otherBodyLimit
    }
}

extension Duration {
    var timeAmount: TimeAmount { .milliseconds(inMilliseconds) }
}
