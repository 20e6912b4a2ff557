import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL
import NIOConcurrencyHelpers

/// A WebSocket client for tests: connects over TLS (trusting any server certificate, presenting
/// `identity`'s when given), sends `messages`, and returns every text message the server sent, up
/// to `expecting` of them.
public enum WebSocketProbe {
    public static func exchange(url: String, identity: TestAgentIdentity? = nil, send messages: [String] = [], expecting count: Int,
                                timeout: Duration = .seconds(30)) async throws -> [String] {
        var configured = try identity?.tls ?? insecureTLS()
        configured.certificateVerification = .none
        let tls = configured
        let received = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "steward.test.websocket")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await WebSocketClient.connect(url: url, tlsConfiguration: tls, logger: logger) { inbound, outbound, _ in
                    var iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                    for message in messages { try await outbound.writeTextMessage(message) }
                    while received.withLockedValue({ $0.count }) < count, let next = try await iterator.next() {
                        if case .text(let text) = next { received.withLockedValue { $0.append(text) } }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw HarnessError("WebSocket \(url): no \(count) message(s) within \(timeout); got \(received.withLockedValue { $0 })")
            }
            try await group.next()
            group.cancelAll()
        }
        return received.withLockedValue { $0 }
    }

    static func insecureTLS() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return tls
    }
}
