import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// Dates chosen so that expiry and the end of grace happen during the test: no clock is changed.
@Suite("Licenses: expiry, grace, usage history, warnings everywhere")
struct LicenseExpiryTests {
    @Test("a key expiring in seconds warns, then is in grace and still grants; a key whose grace ends in seconds then grants nothing, and seats held keep working")
    func expiryAndGrace() async throws {
        try await TestCluster.with { cluster in
            let issuer = try TestIssuer(trustedBy: cluster)
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)

            // Expires 4 s from now, one grace day: "expiring" now, "in-grace" then, granting seats throughout.
            let expiresAt = Date().addingTimeInterval(4)
            let added = try await admin.addLicense(try issuer.license("soon", users: 3, expiresAt: expiresAt, graceDays: 1))
            #expect(added.standing == "expiring" && added.warning?.contains("soon expires on") == true, "\(added)")
            #expect(try await admin.licenseSummary().warnings.contains { $0.contains("soon expires on") })
            try await waitFor("the key to be in its grace", timeout: .seconds(15)) { try await admin.license("soon").standing == "in-grace" }
            let inGrace = try await admin.license("soon")
            #expect(inGrace.grantsSeats && inGrace.warning?.contains("its grace ends on") == true, "\(inGrace)")
            _ = try await admin.createUser("in-grace", password: "password-in-grace", role: .viewer)

            // Its grace ends 4 s from now: then it grants no new seats.
            _ = try await admin.removeLicense("soon")
            let graceEnds = Date().addingTimeInterval(4)
            _ = try await admin.addLicense(try issuer.license("ending", users: 5, notBefore: graceEnds.addingTimeInterval(-30 * 86400),
                                                              expiresAt: graceEnds.addingTimeInterval(-86400), graceDays: 1))
            _ = try await admin.createUser("last-one", password: "password-last-one", role: .viewer)
            try await waitFor("the grace to end", timeout: .seconds(15)) { try await admin.license("ending").standing == "lapsed" }
            let summary = try await admin.licenseSummary()
            #expect(try await admin.userSeats() == SeatCount(kind: "user", inUse: 3, licensed: 0, trial: false))
            #expect(summary.warnings.contains { $0.contains("ending is past its grace") }, "\(summary.warnings)")
            let refused = await refusal { try await admin.createUser("too-late", password: "password-too-late", role: .viewer) }
            #expect(refused?.status == 409 && refused?.message.contains("3 of 0 licensed user seats") == true, "\(String(describing: refused))")
            #expect(try await cluster.client(node).loginForToken(username: "last-one", password: "password-last-one", tokenName: "t").token != nil,
                    "a user holding a seat keeps working after the grace")

            // The same warnings reach /metrics and the log.
            let metrics = try await admin.raw(.GET, "/metrics").text
            #expect(metrics.contains("steward_license_seats{kind=\"user\",measure=\"in_use\"} 3"), "\(metrics)")
            #expect(metrics.contains("steward_license_seats{kind=\"user\",measure=\"licensed\"} 0"))
            #expect(metrics.contains("steward_license_warnings 2"), "a lapsed key and seats over the limit: \(metrics)")
            try await admin.enqueueAndWait(kind: "license.record-usage")
            try await waitFor("the usage job's warnings in the log") { node.output.contains("ending is past its grace") }
        }
    }

    @Test("usage history: the hour under way and the recorded hours, with the high-water mark")
    func usageHistory() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            for name in ["u1", "u2", "u3"] { _ = try await admin.createUser(name, password: "password-of-\(name)", role: .viewer) }
            for name in ["u1", "u2"] { _ = try await admin.changeUser(name, disabled: true) }
            let live = try await admin.licenseUsage()
            let users = try #require(live.hours.last { $0.kind == "user" })
            #expect(users.inUse == 2 && users.peak == 4 && users.licensed == 10, "\(users)")
            #expect(live.days == 90)

            try await admin.enqueueAndWait(kind: "license.record-usage")
            let recorded = try await admin.licenseUsage(days: 1)
            let hour = try #require(recorded.hours.last { $0.kind == "user" })
            #expect(hour.inUse == 2 && hour.peak == 4, "the record keeps the peak of the hour: \(recorded.hours)")
            #expect(Set(recorded.hours.map(\.kind)) == ["user", "agent"])
            let bad = await refusal { try await admin.licenseUsage(days: 91) }
            #expect(bad?.status == 400)
        }
    }
}

extension StewardClient {
    /// Enqueues a job of `kind` and waits until it completed.
    func enqueueAndWait(kind: String) async throws {
        let job = try await enqueueJob(JobEnqueueRequest(kind: kind))
        try await waitFor("\(kind) to complete", timeout: .seconds(30)) { try await self.job(job.id).state == .completed }
    }
}
