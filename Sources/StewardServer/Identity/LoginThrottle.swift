import StewardConfiguration
import StewardDatabase

/// What to do with one login attempt, given the failures counted so far (this attempt included).
/// Pure: the tests drive it with counts and settings, no database or clock.
///
/// - One client (an address, or a device cookie) failing for one account is refused past
///   `security.login.max.failures`: that client only; the owner elsewhere is untouched.
/// - One address failing for any account is refused past `security.login.max.failures.per.address`,
///   unless the attempt comes from a device that has logged in to this account before.
/// - An account failing from everywhere (a distributed guess) is never locked: attempts from clients
///   without a device cookie are slowed, by a delay that doubles every ten failures past
///   `security.login.account.slowdown.after`, up to `security.login.account.delay.max`.
enum LoginThrottle {
    enum Decision: Equatable {
        case proceed(delay: Duration)
        case refuse(retryAfterSeconds: Int, reason: String)
    }

    static func decide(_ counts: LoginFailureRepository.Counts, knownDevice: Bool, settings: ClusterSettings) -> Decision {
        let retry = Int(settings.loginFailureWindow.inSeconds)
        if counts.client > settings.loginMaxFailures {
            return .refuse(retryAfterSeconds: retry, reason: knownDevice ? "device locked" : "client locked")
        }
        if !knownDevice, counts.address > settings.loginMaxFailuresPerAddress {
            return .refuse(retryAfterSeconds: retry, reason: "address locked")
        }
        guard !knownDevice, counts.account > settings.loginAccountSlowdownAfter else { return .proceed(delay: .zero) }
        let doublings = min((counts.account - settings.loginAccountSlowdownAfter - 1) / 10, 16)
        let delay = Duration.milliseconds(250) * (1 << doublings)
        return .proceed(delay: min(delay, settings.loginAccountDelayMax))
    }
}
