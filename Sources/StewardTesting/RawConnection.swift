import Foundation

/// A plain TCP connection to a loopback port for tests that must send what no HTTP client would:
/// half a request, a header too big, a body a byte at a time, a bare TLS record.
public final class RawConnection: @unchecked Sendable {
    // Unchecked: one test task uses a connection at a time; the descriptor is only read after init.
    public let descriptor: Int32

    public init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        guard Loopback.call(port: port, { connect(descriptor, $0, $1) }) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw HarnessError("connect to \(port): \(reason)")
        }
    }

    deinit { close(descriptor) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw HarnessError("send: \(String(cString: strerror(errno)))") }
            offset += written
        }
    }

    /// Everything the server sends until it closes the connection, or `timeout` passes.
    public func readAll(timeout: Duration) -> (text: String, closed: Bool) {
        var data: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let left = max(1, Int32((deadline - ContinuousClock.now).inMilliseconds))
            guard poll(&poller, 1, min(left, 200)) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { return (String(decoding: data, as: UTF8.self), true) }
            data += buffer[0..<count]
        }
        return (String(decoding: data, as: UTF8.self), false)
    }

    /// Whether the server has closed the connection (reading gives end of file or an error), without waiting.
    public var isClosedByPeer: Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN)
    }

    /// The status code of the first HTTP response in `text`, if any.
    public static func status(_ text: String) -> Int? {
        guard text.hasPrefix("HTTP/1."), let code = text.split(separator: " ").dropFirst().first else { return nil }
        return Int(code)
    }

    /// The body of the first HTTP response in `text` (after the blank line).
    public static func body(_ text: String) -> String {
        guard let range = text.range(of: "\r\n\r\n") else { return "" }
        return String(text[range.upperBound...])
    }
}

/// Many connections that never finish their request: slowloris, or a TLS handshake left half done.
public enum SlowClients {
    /// Opens `count` connections to `port` and sends each `opening` (and nothing more).
    public static func open(_ count: Int, port: Int, sending opening: [UInt8]) throws -> [RawConnection] {
        var connections: [RawConnection] = []
        connections.reserveCapacity(count)
        for _ in 0..<count {
            let connection = try RawConnection(port: port)
            if !opening.isEmpty { try connection.send(opening) }
            connections.append(connection)
        }
        return connections
    }

    /// Waits until the server has closed every connection; returns how many are still open at `timeout`.
    public static func waitUntilClosed(_ connections: [RawConnection], timeout: Duration) async -> Int {
        let deadline = ContinuousClock.now + timeout
        var open = connections
        while !open.isEmpty, ContinuousClock.now < deadline {
            open = open.filter { !$0.isClosedByPeer }
            if !open.isEmpty { try? await Task.sleep(for: .milliseconds(200)) }
        }
        return open.count
    }

    /// The first bytes of a TLS ClientHello: a record header that promises more than is ever sent.
    public static let halfHandshake: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
}
