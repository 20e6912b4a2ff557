import NIOCore
import StewardConfiguration
@testable import StewardServer
import Testing

@Suite("The client's address behind proxies")
struct ClientAddressTests {
    let proxies = [NetworkRange("10.0.0.0/8")!, NetworkRange("192.168.1.10")!]

    func peer(_ address: String) throws -> SocketAddress { try SocketAddress(ipAddress: address, port: 40000) }

    @Test("an untrusted peer is the client, whatever X-Forwarded-For says")
    func untrustedPeer() throws {
        #expect(ClientAddress.resolve(peer: try peer("203.0.113.7"), forwardedFor: "1.2.3.4", trusted: proxies) == "203.0.113.7")
    }

    @Test("behind trusted proxies, the right-most address that is not a proxy is the client")
    func trustedChain() throws {
        #expect(ClientAddress.resolve(peer: try peer("10.1.2.3"), forwardedFor: "198.51.100.9", trusted: proxies) == "198.51.100.9")
        // A client-supplied first hop is ignored: only what the proxies appended counts.
        #expect(ClientAddress.resolve(peer: try peer("10.1.2.3"), forwardedFor: "6.6.6.6, 198.51.100.9, 192.168.1.10", trusted: proxies) == "198.51.100.9")
        #expect(ClientAddress.resolve(peer: try peer("10.1.2.3"), forwardedFor: nil, trusted: proxies) == "10.1.2.3")
        #expect(ClientAddress.resolve(peer: try peer("10.1.2.3"), forwardedFor: "not-an-address", trusted: proxies) == "10.1.2.3")
    }

    @Test("throttling groups IPv6 by its /64 and keeps IPv4 (mapped or not) as it is", arguments: [
        ("2001:db8:1:2::a", "2001:db8:1:2::/64"), ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"), ("::ffff:192.0.2.1", "192.0.2.1"), ("192.0.2.1", "192.0.2.1"),
        ("not an address", "not an address"),
    ])
    func throttleKey(address: String, key: String) {
        #expect(ClientAddress.throttleKey(address) == key)
    }
}
