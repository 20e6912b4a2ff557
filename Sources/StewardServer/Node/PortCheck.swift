import Foundation
import StewardConfiguration
#if canImport(Glibc)
import Glibc
#endif

/// Checks before start that each listener's port can be bound, so that a port in use stops the
/// node with the key's name rather than a socket error from deep inside the server.
enum PortCheck {
    static func check(_ configuration: NodeConfiguration) throws(ConfigurationError) {
        let ports = [
            ("server.http.port", configuration.httpPort),
            ("server.https.port", configuration.httpsPort),
            ("server.websocket.port", configuration.webSocketPort),
        ]
        for (key, port) in ports {
            if let problem = problem(binding: configuration.bindAddress, port: port) {
                throw configuration.error(key, problem)
            }
        }
    }

    /// nil when `address:port` can be bound now; otherwise why not, in words.
    static func problem(binding address: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(address, String(port), &hints, &result) == 0, let info = result else {
            return "cannot resolve server.bind.address \(address)"
        }
        defer { freeaddrinfo(result) }
        let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard descriptor >= 0 else { return "cannot open a socket: \(String(cString: strerror(errno)))" }
        defer { close(descriptor) }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            switch errno {
            case EADDRINUSE: return "port \(port) on \(address) is already in use by another process"
            case EACCES: return "port \(port) needs privileges this user does not have; use a port above 1023"
            case EADDRNOTAVAIL: return "\(address) is not an address of this host (server.bind.address)"
            default: return "cannot bind \(address):\(port): \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }
}
