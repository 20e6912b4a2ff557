import StewardConfiguration
import StewardDatabase
@testable import StewardServer
import Testing

@Suite("Login throttle decisions: a client locked, an address locked, an account only slowed")
struct LoginThrottleTests {
    let settings = ClusterSettings.defaults  // 5 per client, 20 per address, slowed after 10, at most 3 s

    func counts(account: Int = 1, client: Int = 1, address: Int = 1) -> LoginFailureRepository.Counts {
        .init(account: account, client: client, address: address)
    }

    @Test("up to the limit a client proceeds; one past it, it is refused for the failure window")
    func clientLimit() {
        #expect(LoginThrottle.decide(counts(client: 5), knownDevice: false, settings: settings) == .proceed(delay: .zero))
        #expect(LoginThrottle.decide(counts(client: 6), knownDevice: false, settings: settings)
                == .refuse(retryAfterSeconds: 900, reason: "client locked"))
        #expect(LoginThrottle.decide(counts(client: 6), knownDevice: true, settings: settings)
                == .refuse(retryAfterSeconds: 900, reason: "device locked"), "a device's own failures lock the device")
    }

    @Test("an address over its limit is refused, unless the attempt comes from a known device")
    func addressLimit() {
        #expect(LoginThrottle.decide(counts(address: 21), knownDevice: false, settings: settings)
                == .refuse(retryAfterSeconds: 900, reason: "address locked"))
        #expect(LoginThrottle.decide(counts(address: 21), knownDevice: true, settings: settings) == .proceed(delay: .zero))
    }

    @Test("an account under a distributed guess is slowed, doubling every ten failures up to the cap, and never refused",
          arguments: [(10, 0), (11, 250), (20, 250), (21, 500), (31, 1000), (41, 2000), (51, 3000), (100_000, 3000)])
    func accountSlowdown(failures: Int, milliseconds: Int) {
        let decision = LoginThrottle.decide(counts(account: failures), knownDevice: false, settings: settings)
        #expect(decision == .proceed(delay: .milliseconds(milliseconds)))
    }

    @Test("a known device is never slowed by the account's failures")
    func knownDeviceNotSlowed() {
        #expect(LoginThrottle.decide(counts(account: 100_000), knownDevice: true, settings: settings) == .proceed(delay: .zero))
    }
}

@Suite("Device cookies: signed for one account, refused when altered or foreign")
struct DeviceCookieTests {
    let cookies = DeviceCookies(key: Array(repeating: 7, count: 32))

    @Test("a token verifies for its account only, case-insensitively, and not when altered or signed with another key")
    func verification() {
        let token = cookies.issue(for: "Admin")
        let device = token.split(separator: ".").first.map(String.init)
        #expect(cookies.verify(token, for: "admin") == device)
        #expect(cookies.verify(token, for: "alice") == nil)
        #expect(cookies.verify(token + "x", for: "admin") == nil)
        #expect(cookies.verify("short.sig", for: "admin") == nil)
        #expect(DeviceCookies(key: Array(repeating: 8, count: 32)).verify(token, for: "admin") == nil)
    }
}
