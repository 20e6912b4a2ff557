import Foundation
import StewardClient
import StewardModel
import StewardTesting
import Testing

/// TLS that checks what it should: the database's certificate and host name with verify-full (the
/// default off loopback), and stewardctl's --ca-file with the host name too.
@Suite("TLS checks: database verify-full, stewardctl's host name")
struct TLSVerificationTests {
    @Test("database.tls=verify-full with the CA file connects by the certificate's name, and refuses a wrong CA or a wrong name; prefer is warned about")
    func databaseVerifyFull() async throws {
        try await TestPostgres.withPrivate { postgres in
            try await TestCluster.with(postgres: postgres) { cluster in
                let server = try await postgres.running()
                let caFile = try #require(server.tlsCAFile)
                let byName = cluster.database.url.replacingOccurrences(of: "127.0.0.1", with: "localhost")
                let node = try await cluster.start("node-a", extra: [
                    "database.url": byName, "database.tls": "verify-full", "database.tls.ca.file": caFile,
                ])
                #expect(try await cluster.adminClient(node).clusterInfo().nodeName == "node-a")
                let wrongName = try await cluster.refusal("node-b", extra: ["database.tls": "verify-full", "database.tls.ca.file": caFile])
                #expect(wrongName.status == 1)
                #expect(wrongName.output.contains("refusing to start") && wrongName.output.contains("certificate"), "\(wrongName.output)")
                let wrongCA = try await cluster.refusal("node-c", extra: [
                    "database.url": byName, "database.tls": "verify-full", "database.tls.ca.file": cluster.caFile,
                ])
                #expect(wrongCA.status == 1)
                #expect(wrongCA.output.contains("CERTIFICATE_VERIFY_FAILED") || wrongCA.output.contains("certificate"), "\(wrongCA.output)")
                let preferring = try await cluster.start("node-d", extra: ["database.tls": "prefer"])
                #expect(preferring.output.contains("database.tls=prefer encrypts but accepts any certificate"), "\(preferring.output)")
            }
        }
    }

    @Test("stewardctl --ca-file checks the host name: the cluster's CA is not enough for a certificate that names another host")
    func stewardctlChecksHostName() async throws {
        try await TestCluster.with(keystoreEntries: [.init(alias: "steward", dnsNames: ["steward.example"], ipAddresses: [])]) { cluster in
            let node = try await cluster.start("node-a")
            let refused = try await Binaries.stewardctl(["cluster", "info", "--url", node.httpsURL, "--ca-file", cluster.caFile],
                                                        environment: ["STEWARD_CONFIG": cluster.folder.file("none.json"), "STEWARD_TOKEN": "x"])
            #expect(refused.status == 3, "\(refused.output)")
            #expect(refused.output.contains("presented a certificate this client does not trust"), "\(refused.output)")
        }
    }
}
