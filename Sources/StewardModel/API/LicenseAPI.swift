import Foundation

/// A stored license key as the API shows it.
public struct LicenseInfo: Codable, Sendable, Equatable {
    public var id: String
    public var licensee: String
    public var userSeats: Int
    public var agentSeats: Int
    public var notBefore: Date
    public var expiresAt: Date
    public var graceDays: Int
    public var graceEndsAt: Date
    /// not-yet-valid, active, expiring, in-grace or lapsed.
    public var standing: String
    /// Whether it adds to the licensed seats now.
    public var grantsSeats: Bool
    public var warning: String?
    /// The issuer's key id.
    public var issuer: String
    public var addedAt: Date
    public var addedBy: String

    public init(id: String, licensee: String, userSeats: Int, agentSeats: Int, notBefore: Date, expiresAt: Date, graceDays: Int,
                graceEndsAt: Date, standing: String, grantsSeats: Bool, warning: String?, issuer: String, addedAt: Date, addedBy: String) {
        self.id = id
        self.licensee = licensee
        self.userSeats = userSeats
        self.agentSeats = agentSeats
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.graceDays = graceDays
        self.graceEndsAt = graceEndsAt
        self.standing = standing
        self.grantsSeats = grantsSeats
        self.warning = warning
        self.issuer = issuer
        self.addedAt = addedAt
        self.addedBy = addedBy
    }
}

/// Seats of one kind ("user" or "agent"), counted across the cluster.
public struct SeatCount: Codable, Sendable, Equatable {
    public var kind: String
    public var inUse: Int
    public var licensed: Int
    /// True while no license key is stored and the built-in trial allowance applies.
    public var trial: Bool

    public init(kind: String, inUse: Int, licensed: Int, trial: Bool) {
        self.kind = kind
        self.inUse = inUse
        self.licensed = licensed
        self.trial = trial
    }

    public var free: Int { max(0, licensed - inUse) }
}

/// `GET /api/v1/license`: the seats, the keys, and what an operator should know.
public struct LicenseSummary: Codable, Sendable, Equatable {
    public var seats: [SeatCount]
    public var licenses: [LicenseInfo]
    public var warnings: [String]

    public init(seats: [SeatCount], licenses: [LicenseInfo], warnings: [String]) {
        self.seats = seats
        self.licenses = licenses
        self.warnings = warnings
    }
}

/// `POST /api/v1/licenses`: a license file's text, as `stewardctl license issue` wrote it.
public struct LicenseAddRequest: Codable, Sendable {
    public var document: String
    public init(document: String) { self.document = document }
}

/// One hour of seat usage: the seats in use when it was recorded, the most in use since the
/// record before, and what was licensed.
public struct LicenseUsageHour: Codable, Sendable, Equatable {
    public var hour: Date
    public var kind: String
    public var inUse: Int
    public var peak: Int
    public var licensed: Int

    public init(hour: Date, kind: String, inUse: Int, peak: Int, licensed: Int) {
        self.hour = hour
        self.kind = kind
        self.inUse = inUse
        self.peak = peak
        self.licensed = licensed
    }
}

/// `GET /api/v1/license/usage`: the recorded hours, oldest first, then the hour under way.
public struct LicenseUsage: Codable, Sendable, Equatable {
    public var days: Int
    public var hours: [LicenseUsageHour]

    public init(days: Int, hours: [LicenseUsageHour]) {
        self.days = days
        self.hours = hours
    }
}
