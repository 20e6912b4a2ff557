/// The `security.*` keys: passwords, sessions and login throttling. Keep them the same on every
/// node: a user's session and failed logins are shared by the whole cluster.
public struct SecurityConfiguration: Sendable {
    public var passwordMinimumLength = 12
    public var bcryptCost = 12
    public var sessionIdleTimeout: Duration = .seconds(30 * 60)
    public var sessionAbsoluteTimeout: Duration = .seconds(12 * 3600)
    /// Failed logins for one account, within the window, before it is locked for the rest of it.
    public var loginMaxFailures = 5
    /// Failed logins from one client address, within the window, before it is locked out.
    public var loginMaxFailuresPerAddress = 20
    public var loginFailureWindow: Duration = .seconds(15 * 60)

    public init() {}

    init(reader: PropertyReader) throws(ConfigurationError) {
        passwordMinimumLength = try reader.int("security.password.min.length", default: passwordMinimumLength, range: 8...128)
        bcryptCost = try reader.int("security.bcrypt.cost", default: bcryptCost, range: 4...16)
        sessionIdleTimeout = try reader.duration("security.session.idle.timeout", default: sessionIdleTimeout)
        sessionAbsoluteTimeout = try reader.duration("security.session.absolute.timeout", default: sessionAbsoluteTimeout)
        loginMaxFailures = try reader.int("security.login.max.failures", default: loginMaxFailures, range: 1...1000)
        loginMaxFailuresPerAddress = try reader.int("security.login.max.failures.per.address", default: loginMaxFailuresPerAddress, range: 1...100_000)
        loginFailureWindow = try reader.duration("security.login.failure.window", default: loginFailureWindow)
        if sessionIdleTimeout > sessionAbsoluteTimeout {
            throw reader.error("security.session.idle.timeout", "is longer than security.session.absolute.timeout, which always ends a session first")
        }
    }
}
