import Foundation
import StewardClient
import StewardKeys
import StewardModel
import StewardTesting
import Synchronization
import Testing

/// The key hierarchy with real processes: secrets encrypted at rest, the keystore refused when the
/// master key is wrong or the file altered, rotation online and resumable, a master key change that
/// loses nothing, and no secret in clear anywhere.
@Suite("Keys: the encryption keystore, secrets at rest, rotation, the master key change, the cluster CA")
struct KeysTests {
    static let values = ["db-password": "correct-horse-battery-staple-7731", "api-token": "tok_9f8e7d6c5b4a39281706", "ssh-key": "an unusual\nmultiline value ✓"]

    func storeSecrets(_ admin: StewardClient) async throws {
        for (name, value) in Self.values { _ = try await admin.setSecret(name, value: value) }
    }

    /// Every file under `folder`, as bytes.
    func files(under folder: String) -> [(String, Data)] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var found: [(String, Data)] = []
        while let relative = enumerator?.nextObject() as? String {
            let path = folder + "/" + relative
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            found.append((path, data))
        }
        return found
    }

    @Test("secrets are write-only: metadata through the API and stewardctl, values nowhere — not in a pg_dump, the appdata tree or any log")
    func nothingInClear() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            for value in Self.values.values { cluster.neverLog(value) }
            try await storeSecrets(admin)
            let token = try #require(admin.token)
            let environment = ["STEWARD_URL": node.httpsURL, "STEWARD_CA_FILE": cluster.caFile, "STEWARD_TOKEN": token,
                               "STEWARD_CONFIG": cluster.folder.file("none.json")]
            let set = try await Binaries.stewardctl(["secrets", "set", "from-cli", "--value-stdin"], environment: environment,
                                                    input: "cli-secret-value-5521\n")
            #expect(set.status == 0, "\(set.output)")
            cluster.neverLog("cli-secret-value-5521")
            let listed = try await Binaries.stewardctl(["secrets", "list"], environment: environment)
            #expect(listed.output.contains("db-password") && listed.output.contains("from-cli"))
            #expect(try await admin.secret("db-password").revision == 1)
            _ = try await admin.setSecret("db-password", value: Self.values["db-password"]!)
            let info = try await admin.secret("db-password")
            #expect(info.revision == 2 && info.updatedBy == "admin")
            // Every answer that names a secret: none carries its value.
            for answer in [try await admin.raw(.GET, "/api/v1/secrets"), try await admin.raw(.GET, "/api/v1/secrets/db-password"),
                           try await admin.raw(.GET, "/api/v1/audit")] {
                for value in Self.values.values { #expect(!answer.text.contains(value)) }
            }
            #expect(try await admin.verifySecret("from-cli", value: "cli-secret-value-5521"))
            #expect(try await !admin.verifySecret("from-cli", value: "a guess"))
            #expect(try await admin.audit(action: "secret.read").count == 2, "each server-side read is audited")

            // The database, dumped whole.
            let postgres = try await TestPostgres.shared.running()
            let bin = try TestPostgres.binDirectory()
            let dump = try await Shell.run("\(bin)/pg_dump", ["-h", postgres.host, "-p", String(postgres.port), "-U", postgres.user, cluster.database.name],
                                           environment: ["PGPASSWORD": postgres.password])
            #expect(dump.output.contains("db-password"), "the dump is real")
            for value in Self.values.values + ["cli-secret-value-5521"] { #expect(!dump.output.contains(value), "the dump holds a secret") }
            #expect(!dump.output.contains("PRIVATE KEY"))
            // The appdata tree, byte for byte, and the keystore in it.
            await cluster.stopNodes()
            let everything = files(under: cluster.appData)
            #expect(everything.contains { $0.0.hasSuffix("conf/encryption.keystore") })
            #expect(everything.contains { $0.0.hasSuffix("conf/cluster-ca.pem") })
            for (path, data) in everything {
                for value in Self.values.values + ["cli-secret-value-5521"] {
                    #expect(data.range(of: Data(value.utf8)) == nil, "\(path) holds a secret value")
                }
                #expect(data.range(of: Data("PRIVATE KEY".utf8)) == nil, "\(path) holds a PEM private key")
            }
            // The logs are searched by TestCluster at the end (every value was registered with neverLog).
        }
    }

    @Test("a node with another master key, or given a keystore with one byte changed, refuses to start saying which check failed; the cluster serves on")
    func refusals() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            try await storeSecrets(admin)
            // Another master key, same appdata.
            let other = try cluster.folder.write("other.key", MasterKeyText.generate(), permissions: 0o600)
            try await expectRefused(cluster, "node-b", extra: ["server.master.key.file": other],
                                    saying: "this node's master key (server.master.key.file) has fingerprint")
            // The right master key, but a copy of the appdata whose keystore has one byte changed.
            let copy = cluster.folder.file("tampered-appdata")
            try await Shell.run("/bin/cp", ["-a", cluster.appData, copy])
            let keystorePath = copy + "/conf/encryption.keystore"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: keystorePath))
            let target = try #require(bytes.range(of: Data("\"created\"".utf8))).upperBound + 5  // a digit of a date
            bytes[target] = bytes[target] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
            try bytes.write(to: URL(fileURLWithPath: keystorePath))
            try FileManager.default.removeItem(atPath: copy + "/logs/node-a/server.lock")
            try await expectRefused(cluster, "node-c", extra: ["server.appdata.dir": copy],
                                    saying: "fails its integrity check although this node's master key is the one that sealed it")
            // A missing keystore, where the cluster has one: refused, not silently made anew.
            try FileManager.default.removeItem(atPath: keystorePath)
            try await expectRefused(cluster, "node-d", extra: ["server.appdata.dir": copy], saying: "encryption.keystore is missing", "restore it")
            #expect(try await admin.verifySecret("db-password", value: Self.values["db-password"]!), "the cluster serves on")
        }
    }

    @Test("a ciphertext copied into another secret's row fails authentication: reported as tampering, never returned")
    func movedCiphertext() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            try await storeSecrets(admin)
            try await cluster.database.execute("UPDATE secrets SET ciphertext = (SELECT ciphertext FROM secrets WHERE name = 'db-password') WHERE name = 'api-token'")
            let answer = try await admin.raw(.POST, "/api/v1/secrets/api-token/verify",
                                             body: try JSONEncoder().encode(SecretValue(value: Self.values["db-password"]!)),
                                             headers: [("Content-Type", "application/json")])
            #expect(answer.status == 409)
            #expect(answer.text.contains("fails authentication") && answer.text.contains("tampering"), "\(answer.text)")
            #expect(!answer.text.contains(Self.values["db-password"]!))
            #expect(try await admin.audit(action: "secret.tampered").first?.target == "api-token")
            #expect(try await admin.verifySecret("db-password", value: Self.values["db-password"]!), "the original still reads")
        }
    }

    @Test("a rotation SIGKILLed part-way and run again, while three nodes read every secret: no read fails, every value reads back, the old key retires")
    func rotationUnderReads() async throws {
        try await TestCluster.with { cluster in
            let nodes = try await [cluster.start("node-a"), cluster.start("node-b"), cluster.start("node-c")]
            let admin = try await cluster.adminClient(nodes[0])
            let values = (0..<300).map { ("s-\($0)", "value-\($0)-\(UUID().uuidString)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for chunk in stride(from: 0, to: values.count, by: 30) {
                    group.addTask { for (name, value) in values[chunk..<min(chunk + 30, values.count)] { _ = try await admin.setSecret(name, value: value) } }
                }
                try await group.waitForAll()
            }
            let token = try #require(admin.token)
            let environment = ["STEWARD_URL": nodes[1].httpsURL, "STEWARD_CA_FILE": cluster.caFile, "STEWARD_TOKEN": token,
                               "STEWARD_CONFIG": cluster.folder.file("none.json")]
            let stop = StopFlag()
            let readers = (0..<3).map { index in
                Task { () -> (reads: Int, failures: [String]) in
                    let client = cluster.client(nodes[index], token: token)
                    var reads = 0, failures: [String] = []
                    while !stop.isSet {
                        let (name, value) = values.randomElement()!
                        do {
                            if try await !client.verifySecret(name, value: value) { failures.append("\(name) did not match on node \(index)") }
                        } catch {
                            failures.append("\(name) on node \(index): \(error)")
                        }
                        reads += 1
                    }
                    return (reads, failures)
                }
            }
            // The first run, killed once it has re-encrypted some (but not all) of them.
            let output = cluster.folder.file("rotate.log")
            let first = try ChildProcess(try Binaries.path("stewardctl"), ["keys", "rotate", "--batch", "5"],
                                         environment: environment, outputFile: output)
            try await waitFor("the first rotation to be under way", timeout: .seconds(60)) {
                ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("re-encrypted 20 of 300")
            }
            first.signal(SIGKILL)
            _ = try await first.wait(timeout: .seconds(10))
            let halfway = try await admin.keysStatus()
            #expect(halfway.remaining > 0 && halfway.remaining < 300, "killed part-way: \(halfway)")
            #expect(halfway.activeVersion == 2)
            let second = try await Binaries.stewardctl(["keys", "rotate", "--batch", "25"], environment: environment)
            #expect(second.status == 0, "\(second.output)")
            #expect(second.output.contains("secret(s) to re-encrypt"))
            #expect(second.output.contains("rotation done: every secret is on data key v2; retired v1"), "\(second.output)")
            stop.set()
            var total = 0
            for reader in readers {
                let (reads, failures) = await reader.value
                total += reads
                #expect(failures.isEmpty, "\(failures.prefix(5))")
            }
            #expect(total > 30, "the readers read throughout (\(total) reads)")
            let done = try await admin.keysStatus()
            #expect(done.remaining == 0 && done.versions.map(\.version) == [2], "\(done)")
            for (name, value) in values.shuffled().prefix(30) {
                for node in nodes { #expect(try await cluster.client(node, token: token).verifySecret(name, value: value)) }
            }
        }
    }

    @Test("the master key change, as docs/keys.md says, on a running three-node cluster: nothing lost, and the old key no longer opens anything")
    func masterKeyChange() async throws {
        try await TestCluster.with { cluster in
            var nodes = try await [cluster.start("node-a"), cluster.start("node-b"), cluster.start("node-c")]
            let admin = try await cluster.adminClient(nodes[0])
            try await storeSecrets(admin)
            let token = try #require(admin.token)
            let old = cluster.folder.file("master.key")
            let new = cluster.folder.file("master.key.new")
            // 1. A new key file beside the old one on every node, named as the next key; restart them one by one.
            let made = try await Binaries.stewardctl(["keys", "new-master-key", new])
            #expect(made.status == 0, "\(made.output)")
            for index in nodes.indices {
                await nodes[index].stop()
                nodes[index] = try await cluster.start(nodes[index].name, extra: nodes[index].portSettings.merging(["server.master.key.next.file": new]) { $1 })
            }
            // 2. Reseal.
            let environment = ["STEWARD_URL": nodes[2].httpsURL, "STEWARD_CA_FILE": cluster.caFile, "STEWARD_TOKEN": token,
                               "STEWARD_CONFIG": cluster.folder.file("none.json")]
            let resealed = try await Binaries.stewardctl(["keys", "reseal"], environment: environment)
            #expect(resealed.status == 0, "\(resealed.output)")
            let sealedWith = try MasterKey.load(path: new).fingerprint
            #expect(resealed.output.contains(sealedWith))
            // 3. The new key as the only key, node by node; the old file goes.
            for index in nodes.indices {
                await nodes[index].stop()
                nodes[index] = try await cluster.start(nodes[index].name, extra: nodes[index].portSettings.merging(["server.master.key.file": new]) { $1 })
            }
            try FileManager.default.removeItem(atPath: old)
            for node in nodes {
                for (name, value) in Self.values { #expect(try await cluster.client(node, token: token).verifySecret(name, value: value), "\(name) on \(node.name)") }
            }
            let keep = try cluster.folder.write("old-again.key", MasterKeyText.generate(), permissions: 0o600)
            try await expectRefused(cluster, "node-d", extra: ["server.master.key.file": keep], saying: "has fingerprint")
        }
    }

    @Test("the cluster CA: made with the cluster, published in the database and appdata, shown with its pin by stewardctl online and offline")
    func clusterCA() async throws {
        try await TestCluster.with { cluster in
            let node = try await cluster.start("node-a")
            let admin = try await cluster.adminClient(node)
            let authorities = try await admin.authorities()
            let authority = try #require(authorities.first)
            #expect(authority.state == "active")
            #expect(authority.pin.hasPrefix("sha256:"))
            let published = try String(contentsOfFile: cluster.appData + "/conf/cluster-ca.pem", encoding: .utf8)
            #expect(published == authority.certificatePEM)
            #expect(try AuthorityDetails.read(published).pin == authority.pin, "the pin is the certificate's own key")
            let stored = try await cluster.database.withConnection { connection, logger in
                try await connection.query("SELECT pin FROM cluster_authorities", logger: logger).collect().map { try $0.decode(String.self) }
            }
            #expect(stored == [authority.pin])
            let environment = ["STEWARD_URL": node.httpsURL, "STEWARD_CA_FILE": cluster.caFile, "STEWARD_TOKEN": try #require(admin.token),
                               "STEWARD_CONFIG": cluster.folder.file("none.json")]
            let online = try await Binaries.stewardctl(["ca", "show"], environment: environment)
            let offline = try await Binaries.stewardctl(["ca", "show", "--appdata", cluster.appData])
            for shown in [online, offline] {
                #expect(shown.status == 0 && shown.output.contains("BEGIN CERTIFICATE") && shown.output.contains("pin: \(authority.pin)"), "\(shown.output)")
            }
        }
    }
}

/// A flag the readers poll.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}
