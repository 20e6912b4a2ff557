import Foundation
import Synchronization

/// Ports for test servers. Tests run in parallel, so a port must not be handed out twice by this
/// process, and it must not come from the kernel's ephemeral range, where any outgoing connection
/// may take it between our check and the server's bind. Ports come from 20000-32000 (below
/// Linux's default ephemeral range), in a per-process random order, each checked free when given.
public enum FreePorts {
    static let range = 20000..<32000
    private static let next = Mutex<Int>(Int.random(in: 0..<12000))

    public static func take(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts < range.count else { throw HarnessError("no free port left in \(range)") }
            let port = next.withLock { offset -> Int in
                defer { offset = (offset + 1) % range.count }
                return range.lowerBound + offset
            }
            if isFree(port) { ports.append(port) }
        }
        return ports
    }

    public static func take() throws -> Int { try take(1)[0] }

    /// True when nothing is bound to the port on loopback.
    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return Loopback.call(port: port) { bind(descriptor, $0, $1) } == 0
    }
}
