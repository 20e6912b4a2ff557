import Foundation
import StewardClient
import StewardLicense
import StewardModel
import StewardTesting
import Testing

/// An issuer the test cluster trusts: its public key is put in the cluster's appdata.
struct TestIssuer {
    let key = LicenseSigningKey(comment: "integration tests")

    /// An issuer no node trusts.
    init() {}

    init(trustedBy cluster: TestCluster) throws {
        let folder = cluster.appData + "/conf/license-issuers"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try key.publicKey.text.write(toFile: folder + "/tests.pub", atomically: true, encoding: .utf8)
    }

    /// A signed license file's text.
    func license(_ id: String, users: Int = 0, agents: Int = 0, notBefore: Date = Date().addingTimeInterval(-60),
                 expiresAt: Date = Date().addingTimeInterval(365 * 86400), graceDays: Int = 14) throws -> String {
        try SignedLicense.issue(License(id: id, licensee: "Example Corp", userSeats: users, agentSeats: agents, notBefore: notBefore,
                                        expiresAt: expiresAt, graceDays: graceDays), with: key).text()
    }
}

/// The same license file with its user seats changed and its signature kept: a forgery.
func forged(_ document: String, users: Int) throws -> String {
    var file = try JSONDecoder().decode([String: String].self, from: Data(document.utf8))
    let encoded = try #require(file["license"])
    let payload = try #require(Base64URL.decode(encoded))
    let object = try JSONSerialization.jsonObject(with: payload)
    var license = try #require(object as? [String: Any])
    license["userSeats"] = users
    file["license"] = Base64URL.encode(try JSONSerialization.data(withJSONObject: license))
    return String(decoding: try JSONEncoder().encode(file), as: UTF8.self)
}

extension StewardClient {
    /// The user seats as this node counts them.
    func userSeats() async throws -> SeatCount {
        try #require(try await licenseSummary().seats.first { $0.kind == "user" })
    }
}

/// The refusal a call ended with, or nil when it succeeded.
func refusal(_ body: () async throws -> some Any) async -> ClientError? {
    do {
        _ = try await body()
        return nil
    } catch let error as ClientError {
        return error
    } catch {
        return ClientError(status: 0, message: "\(error)")
    }
}
