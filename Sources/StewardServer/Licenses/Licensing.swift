import Foundation
import Logging
import StewardAppData
import StewardDatabase
import StewardLicense
import StewardModel

/// The cluster's licenses as one node sees them: keys are verified here, against the issuer keys in
/// `appdata/conf/license-issuers/` (read at each add, so a new issuer needs no restart), and stored
/// in the database, where every node's next grant counts them.
struct Licensing {
    let runtime: NodeRuntime

    var repository: LicenseRepository { LicenseRepository(logger: runtime.logger) }
    var issuersFolder: String { AppDataLayout(root: runtime.configuration.appDataDirectory).licenseIssuers }

    /// The stored keys, with where each stands now.
    func licenses(on runner: some QueryRunner) async throws -> [LicenseInfo] {
        try await Self.licenses(repository, on: runner)
    }

    static func licenses(_ repository: LicenseRepository, on runner: some QueryRunner) async throws -> [LicenseInfo] {
        let now = Date()
        return try await repository.list(on: runner).map { $0.info(at: now) }
    }

    /// Seats, keys and warnings, as of now.
    func summary(on runner: some QueryRunner) async throws -> LicenseSummary {
        try await Self.summary(repository, on: runner)
    }

    /// The same from anywhere with a database (the hourly usage job).
    static func summary(_ repository: LicenseRepository, on runner: some QueryRunner) async throws -> LicenseSummary {
        let licenses = try await licenses(repository, on: runner)
        let seats = try await repository.seats(on: runner)
        return LicenseSummary(seats: seats, licenses: licenses, warnings: warnings(seats: seats, licenses: licenses))
    }

    static func warnings(seats: [SeatCount], licenses: [LicenseInfo]) -> [String] {
        var warnings = licenses.compactMap(\.warning)
        for seat in seats where seat.inUse > seat.licensed {
            warnings.append("\(seat.inUse) \(seat.kind) seats are in use, more than the \(seat.licensed) licensed: they keep working, but no new \(seat.kind) seat is granted until fewer than \(seat.licensed) are in use")
        }
        if seats.contains(where: \.trial) {
            let allowance = seats.map { "\($0.licensed) \($0.kind)s" }.joined(separator: " and ")
            warnings.append("no license key is stored: the trial allowance of \(allowance) applies (`stewardctl license add FILE`)")
        }
        return warnings
    }

    /// Verifies and stores a license file; answers what was stored.
    func add(document: String, by actor: String, source: String?) async throws -> LicenseInfo {
        guard document.utf8.count <= 16 * 1024 else { throw APIError.badRequest("a license file is at most 16 KiB") }
        let verifier: LicenseVerifier
        do {
            verifier = try LicenseVerifier.loading(folder: issuersFolder)
        } catch {
            throw APIError(status: .internalServerError, message: "the license issuer keys cannot be read: \(error)")
        }
        let (license, signed) = try Self.verified(document, by: verifier)
        let runtime = self.runtime, repository = self.repository
        try await runtime.transaction { connection in
            guard try await repository.add(license, document: document, issuer: signed.issuer, by: actor, on: connection) else {
                throw APIError.conflict("a license with id \(license.id) is stored already (remove it first to replace it)")
            }
            try await AuditTrail(runtime: runtime).record(
                actor: actor, action: "license.add", target: license.id, source: source,
                details: ["licensee": license.licensee, "user seats": String(license.userSeats), "agent seats": String(license.agentSeats),
                          "expires": LicenseStanding.dateText(license.expiresAt)], on: connection)
        }
        let info = StoredLicense(license: license, issuer: signed.issuer, addedAt: Date(), addedBy: actor).info()
        runtime.logger.notice("license \(license.id) added for \(license.licensee): \(license.userSeats) user seats, \(license.agentSeats) agent seats, expires \(LicenseStanding.dateText(license.expiresAt))")
        if let warning = info.warning { runtime.logger.warning("\(warning)") }
        return info
    }

    static func verified(_ document: String, by verifier: LicenseVerifier) throws -> (License, SignedLicense) {
        do {
            return try verifier.verify(document)
        } catch {
            throw APIError(status: .unprocessableContent, message: "license refused: \(error.message)")
        }
    }

    /// Removes a key; allowed even when it leaves more seats in use than licensed (the answer warns).
    func remove(_ id: String, by actor: String, source: String?) async throws -> LicenseSummary {
        let runtime = self.runtime, repository = self.repository
        let summary = try await runtime.transaction { connection in
            guard let removed = try await repository.remove(id, on: connection) else { throw APIError.notFound("no license with id \(id)") }
            try await AuditTrail(runtime: runtime).record(
                actor: actor, action: "license.remove", target: removed.license.id, source: source, on: connection)
            return try await Licensing(runtime: runtime).summary(on: connection)
        }
        runtime.logger.notice("license \(id) removed by \(actor)")
        for warning in summary.warnings { runtime.logger.warning("\(warning)") }
        return summary
    }
}
