import Foundation

/// What a license grants: seats for users and agents, between two dates, with grace days after
/// the second. This is the signed part of a license file (see `SignedLicense`).
public struct License: Codable, Sendable, Equatable {
    public var id: String
    public var licensee: String
    public var userSeats: Int
    public var agentSeats: Int
    public var notBefore: Date
    public var expiresAt: Date
    public var graceDays: Int

    public init(id: String, licensee: String, userSeats: Int, agentSeats: Int, notBefore: Date, expiresAt: Date, graceDays: Int) {
        self.id = id
        self.licensee = licensee
        self.userSeats = userSeats
        self.agentSeats = agentSeats
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.graceDays = graceDays
    }

    /// The end of the grace days: from then on the license grants no new seats.
    public var graceEndsAt: Date { expiresAt.addingTimeInterval(Double(graceDays) * 86400) }

    /// Why the fields cannot make a license, or nil.
    public var problem: String? {
        if !Self.isValidID(id) { return "id: 1 to 100 letters, digits, '.', '-' or '_'" }
        if licensee.trimmingCharacters(in: .whitespaces).isEmpty || licensee.count > 200 { return "licensee: 1 to 200 characters" }
        if !(0...1_000_000).contains(userSeats) { return "userSeats: 0 to 1000000" }
        if !(0...1_000_000).contains(agentSeats) { return "agentSeats: 0 to 1000000" }
        if !(0...365).contains(graceDays) { return "graceDays: 0 to 365" }
        if expiresAt <= notBefore { return "expiresAt must be after notBefore" }
        return nil
    }

    static func isValidID(_ id: String) -> Bool {
        (1...100).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}

/// Where a license stands at an instant. Only `.active`, `.expiring` and `.inGrace` grant seats;
/// the database applies the same rule (`steward_licensed_seats`), this one explains it.
public enum LicenseStanding: Sendable, Equatable {
    case notYetValid(from: Date)
    case active(until: Date)
    /// Active, with fewer than `LicenseStanding.warningDays` left.
    case expiring(at: Date)
    /// Expired, still granting seats until the grace ends.
    case inGrace(expired: Date, graceEnds: Date)
    /// Past its grace: grants no new seats; seats already held keep working.
    case lapsed(since: Date)

    /// How long before expiry the warnings start.
    public static let warningDays = 30

    public init(_ license: License, at now: Date) {
        if now < license.notBefore {
            self = .notYetValid(from: license.notBefore)
        } else if now < license.expiresAt {
            let warnFrom = license.expiresAt.addingTimeInterval(-Double(Self.warningDays) * 86400)
            self = now >= warnFrom ? .expiring(at: license.expiresAt) : .active(until: license.expiresAt)
        } else if now < license.graceEndsAt {
            self = .inGrace(expired: license.expiresAt, graceEnds: license.graceEndsAt)
        } else {
            self = .lapsed(since: license.graceEndsAt)
        }
    }

    public var grantsSeats: Bool {
        switch self {
        case .active, .expiring, .inGrace: true
        case .notYetValid, .lapsed: false
        }
    }

    /// One word for tables and the API.
    public var name: String {
        switch self {
        case .notYetValid: "not-yet-valid"
        case .active: "active"
        case .expiring: "expiring"
        case .inGrace: "in-grace"
        case .lapsed: "lapsed"
        }
    }

    /// What an operator should hear about it, or nil when all is well.
    public func warning(for license: License, at now: Date) -> String? {
        let day = Self.dateText
        switch self {
        case .active: return nil
        case .notYetValid(let from):
            return "license \(license.id) grants no seats before \(day(from))"
        case .expiring(let at):
            let days = max(0, Int((at.timeIntervalSince(now) / 86400).rounded(.up)))
            return "license \(license.id) expires on \(day(at)) (in \(days) day\(days == 1 ? "" : "s")); add a renewed key with `stewardctl license add FILE`"
        case .inGrace(let expired, let ends):
            return "license \(license.id) expired on \(day(expired)); its grace ends on \(day(ends)), after which no new seats are granted from it"
        case .lapsed(let since):
            return "license \(license.id) is past its grace since \(day(since)): it grants no new seats (seats already held keep working); add a renewed key"
        }
    }

    public static func dateText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
