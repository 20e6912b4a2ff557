import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("stewardctl license")
struct StewardctlLicenseTests {
    @Test("keygen and issue offline; add, show, list, usage and remove against a node; a changed file and a missing key refused with the reason")
    func licenseCommands() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let ctl = try await StewardctlJobsTests.ctl(cluster, node)
            let keys = cluster.folder.file("vendor")

            let keygen = try await ctl(["license", "keygen", keys, "--comment", "Example vendor"])
            #expect(keygen.status == 0 && keygen.output.contains("private key \(keys).key (mode 0600)"), "\(keygen.output)")
            let mode = try FileManager.default.attributesOfItem(atPath: keys + ".key")[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try await ctl(["license", "keygen", keys]).status == 1, "a key is never overwritten")
            let issuers = cluster.appData + "/conf/license-issuers"
            #expect(FileManager.default.fileExists(atPath: issuers + "/steward.pub"), "the template ships the product's issuer key")
            try FileManager.default.copyItem(atPath: keys + ".pub", toPath: issuers + "/vendor.pub")

            let file = cluster.folder.file("acme.license")
            let issue = try await ctl(["license", "issue", "--issuer-key", keys + ".key", "--licensee", "ACME", "--users", "25",
                                       "--agents", "100", "--expires", "2099-12-31", "--id", "acme-1", "--out", file])
            #expect(issue.status == 0, "\(issue.output)")
            let badDate = try await ctl(["license", "issue", "--issuer-key", keys + ".key", "--licensee", "ACME", "--users", "1",
                                         "--agents", "1", "--expires", "next year"])
            #expect(badDate.status == 1 && badDate.output.contains("not an ISO 8601 date"), "\(badDate.output)")

            let added = try await ctl(["license", "add", file])
            #expect(added.status == 0 && added.output.contains("license acme-1 added: 25 user seats, 100 agent seats, expires 2099-12-31"),
                    "\(added.output)")
            let show = try await ctl(["license", "show"])
            #expect(show.status == 0, "\(show.output)")
            #expect(show.output.contains("user ") && show.output.range(of: #"user\s+1\s+25\s+24"#, options: .regularExpression) != nil, "\(show.output)")
            #expect(show.output.contains("acme-1") && show.output.contains("active"), "\(show.output)")
            let one = try await ctl(["license", "show", "acme-1"])
            #expect(one.output.contains("ACME") && one.output.contains("14 days, until 2100-01-14"), "\(one.output)")
            let listed = try StewardctlJobsTests.decode([LicenseInfo].self, try await ctl(["license", "list", "--json"]))
            #expect(listed.map(\.id) == ["acme-1"] && listed.first?.userSeats == 25)
            let usage = try await ctl(["license", "usage", "--days", "7"])
            #expect(usage.status == 0 && usage.output.hasPrefix("HOUR") && usage.output.contains("agent"), "\(usage.output)")

            // A hand-edited seat count: refused, with the reason, and nothing stored.
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let changed = cluster.folder.file("changed.license")
            try forged(text, users: 2500).write(toFile: changed, atomically: true, encoding: .utf8)
            let refused = try await ctl(["license", "add", changed])
            #expect(refused.status == 1 && refused.output.contains("license refused: the license's signature does not match"), "\(refused.output)")

            let removed = try await ctl(["license", "remove", "acme-1"])
            #expect(removed.status == 0 && removed.output.contains("license acme-1 removed") && removed.output.contains("trial"), "\(removed.output)")
            let missing = try await ctl(["license", "remove", "acme-1"])
            #expect(missing.status == 1 && missing.output.contains("no license with id acme-1"), "\(missing.output)")
        }
    }
}
