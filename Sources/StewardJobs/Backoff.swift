/// Exponential backoff with jitter: the n-th retry waits `base · 2^(n-1)`, capped, of which the
/// second half is random, so that jobs which failed together (a database blip) do not retry in step.
public struct Backoff: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    public static let standard = Backoff(base: .seconds(2), cap: .seconds(3600))

    public func delay(afterAttempt attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        let full = min(base * Double(1 << min(exponent, 30)), cap)
        return full / 2 + (full / 2) * random
    }
}
