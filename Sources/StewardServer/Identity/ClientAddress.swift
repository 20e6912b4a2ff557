import HTTPTypes
import Hummingbird
import NIOCore
import StewardConfiguration

/// The client's address: the direct peer, unless that peer is a trusted proxy, in which case
/// the right-most address in X-Forwarded-For that is not itself a trusted proxy.
enum ClientAddress {
    static func resolve(peer: SocketAddress?, forwardedFor: String?, trusted: [NetworkRange]) -> String {
        let direct = peer?.ipAddress ?? "unknown"
        guard isTrusted(direct, trusted), let forwardedFor else { return direct }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for hop in hops.reversed() where !isTrusted(hop, trusted) {
            return NetworkRange.parseAddress(hop) != nil ? hop : direct
        }
        return hops.first ?? direct
    }

    /// How login throttling groups addresses: an IPv4 address is itself; an IPv6 address counts as
    /// its /64 (one host can own a whole /64, so counting single addresses would be no limit at all).
    static func throttleKey(_ address: String) -> String {
        guard let bytes = NetworkRange.parseAddress(address) else { return address }
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        guard bytes.count == 16 else { return address }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    static func isTrusted(_ address: String, _ trusted: [NetworkRange]) -> Bool {
        trusted.contains { $0.contains(address) }
    }
}

extension StewardRequestContext {
    /// This request's client address (see `ClientAddress`).
    func clientAddress(_ request: Request, trusted: [NetworkRange]) -> String {
        ClientAddress.resolve(peer: remoteAddress, forwardedFor: request.headers[.xForwardedFor], trusted: trusted)
    }
}

extension HTTPField.Name {
    // Both names are valid header tokens, so the failable initializer cannot fail.
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xCSRFToken = Self("X-CSRF-Token")!
}
