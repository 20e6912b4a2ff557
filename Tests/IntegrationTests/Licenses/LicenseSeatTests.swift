import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

@Suite("Licenses: seats granted exactly across nodes, keys applied everywhere at once")
struct LicenseSeatTests {
    @Test("7 user seats: 40 concurrent creations over three nodes end with exactly 7 users holding seats; the rest refused with the counts, none half-made")
    func exactUserSeats() async throws {
        try await TestCluster.with { cluster in
            let issuer = try TestIssuer(trustedBy: cluster)
            let nodes = [try await cluster.start("node-a"), try await cluster.start("node-b"), try await cluster.start("node-c")]
            let admin = try await cluster.adminClient(nodes[0])
            let clients = nodes.map { cluster.client($0, token: admin.token) }
            _ = try await admin.addLicense(try issuer.license("seven", users: 7))
            #expect(try await admin.userSeats() == SeatCount(kind: "user", inUse: 1, licensed: 7, trial: false), "the first admin holds one")

            let outcomes = await withTaskGroup(of: (name: String, refusal: ClientError?).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let name = "racer-\(index)"
                        return (name, await refusal { try await clients[index % 3].createUser(name, password: "password-of-\(name)", role: .viewer) })
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let created = outcomes.filter { $0.refusal == nil }.map(\.name)
            let refused = outcomes.compactMap(\.refusal)
            #expect(created.count == 6, "seven seats, one of them the admin's: \(refused.map(\.message))")
            #expect(refused.count == 34)
            for error in refused {
                #expect(error.status == 409 && error.message.contains("no user seat is free: 7 of 7 licensed user seats are in use"), "\(error)")
                #expect(error.message.contains("stewardctl license add"), "\(error)")
            }
            let users = try await admin.users()
            #expect(users.filter { !$0.disabled }.count == 7)
            #expect(Set(users.map(\.username)) == Set(created + ["admin"]), "no refused user was left behind")
            let audited = try await admin.audit(limit: 200, action: "user.create").compactMap(\.target).filter { $0 != "admin" }
            #expect(Set(audited) == Set(created), "only the users created are audited")
            for client in clients { #expect(try await client.userSeats().inUse == 7, "every node counts the same seats") }

            // Disabling frees exactly one seat; enabling takes one, and is refused when none is free.
            let first = try #require(created.sorted().first), second = try #require(created.sorted().last)
            _ = try await clients[1].changeUser(first, disabled: true)
            #expect(try await admin.userSeats().inUse == 6)
            _ = try await clients[2].createUser("late-comer", password: "password-of-late", role: .viewer)
            let enable = await refusal { try await clients[0].changeUser(first, disabled: false) }
            #expect(enable?.status == 409 && enable?.message.contains("no user seat is free") == true, "\(String(describing: enable))")
            #expect(try await admin.users().first { $0.username == first }?.disabled == true, "the refused enable changed nothing")
            // Users holding seats keep working at the limit.
            let session = try await cluster.client(nodes[2]).loginForToken(username: second, password: "password-of-\(second)", tokenName: "t")
            #expect(session.token != nil)
        }
    }

    @Test("a key added through node A counts at node C's very next grant, with no restart; removing one is allowed and warns")
    func keysApplyEverywhere() async throws {
        try await TestCluster.with { cluster in
            let issuer = try TestIssuer(trustedBy: cluster)
            let a = try await cluster.start("node-a")
            let b = try await cluster.start("node-b")
            let c = try await cluster.start("node-c")
            let viaA = try await cluster.adminClient(a)
            let viaC = try await cluster.adminClient(c)
            let trial = try await viaC.licenseSummary()
            #expect(trial.seats.allSatisfy { $0.trial && $0.licensed == 10 }, "\(trial.seats)")
            #expect(trial.warnings.contains { $0.contains("trial allowance of 10 users and 10 agents") }, "\(trial.warnings)")

            // A key replaces the trial allowance: two seats, one of them the admin's.
            _ = try await viaA.addLicense(try issuer.license("small", users: 2))
            _ = try await viaC.createUser("second", password: "password-of-second", role: .viewer)
            let full = await refusal { try await viaC.createUser("third", password: "password-of-third", role: .viewer) }
            #expect(full?.message.contains("2 of 2 licensed user seats are in use") == true, "\(String(describing: full))")

            // Keys add up, at once.
            _ = try await viaA.addLicense(try issuer.license("more", users: 3))
            _ = try await viaC.createUser("third", password: "password-of-third", role: .viewer)
            #expect(try await viaC.userSeats() == SeatCount(kind: "user", inUse: 3, licensed: 5, trial: false))
            let duplicate = await refusal { try await viaA.addLicense(try issuer.license("more", users: 3)) }
            #expect(duplicate?.status == 409 && duplicate?.message.contains("is stored already") == true)

            // Removing one leaves three seats in use of two: allowed, with a warning; no new seat until back under.
            let after = try await cluster.adminClient(b).removeLicense("more")
            #expect(after.warnings.contains { $0.contains("3 user seats are in use, more than the 2 licensed") }, "\(after.warnings)")
            let over = await refusal { try await viaC.createUser("fourth", password: "password-of-fourth", role: .viewer) }
            #expect(over?.message.contains("3 of 2 licensed") == true, "\(String(describing: over))")
            #expect(try await cluster.client(c).loginForToken(username: "third", password: "password-of-third", tokenName: "t").token != nil,
                    "users over the limit keep working")
            _ = try await viaA.changeUser("third", disabled: true)
            _ = try await viaA.changeUser("second", disabled: true)
            _ = try await viaC.createUser("fourth", password: "password-of-fourth", role: .viewer)

            let trail = try await viaA.audit(limit: 50).filter { $0.action.hasPrefix("license.") }.map { "\($0.action) \($0.target ?? "")" }
            #expect(Set(trail) == ["license.add small", "license.add more", "license.remove more"], "\(trail)")
        }
    }

    @Test("forged, unknown-issuer, malformed and lapsed keys are refused with the reason, and nothing is stored")
    func refusedKeys() async throws {
        try await TestCluster.with { cluster in
            let issuer = try TestIssuer(trustedBy: cluster)
            let admin = try await cluster.adminClient(try await cluster.start("node-a"))
            let genuine = try issuer.license("genuine", users: 7)
            let forgedText = try forged(genuine, users: 700)
            let stranger = try TestIssuer().license("stranger", users: 7)
            let lapsed = try issuer.license("lapsed", users: 7, notBefore: Date().addingTimeInterval(-400 * 86400),
                                            expiresAt: Date().addingTimeInterval(-30 * 86400), graceDays: 14)
            let cases = [
                (forgedText, "signature does not match"), (stranger, "unknown issuer"), ("not json", "not a Steward license file"),
                (lapsed, "grace ended"),
            ]
            for (document, reason) in cases {
                let refused = await refusal { try await admin.addLicense(document) }
                #expect(refused?.status == 422, "\(reason): \(String(describing: refused))")
                #expect(refused?.message.contains(reason) == true, "\(String(describing: refused))")
            }
            #expect(try await admin.licenses().isEmpty)
            _ = try await admin.addLicense(genuine)
            #expect(try await admin.licenses().map(\.id) == ["genuine"])
        }
    }
}
