import Foundation
import StewardAppData
import StewardModel
import StewardTesting
import Testing

@Suite("appdata: layout checks, cluster.id, template")
struct AppDataVerifierTests {
    let folder: TemporaryDirectory
    var appData: String { folder.file("appdata") }

    init() throws { folder = try TemporaryDirectory(prefix: "steward-appdata") }

    func makeAppData() throws -> AppDataVerifier {
        let template = try AppDataTemplate.locate(explicit: Binaries.packageRoot + "/appdata-template")
        try AppDataTemplate.instantiate(template: template, into: appData)
        return AppDataVerifier(layout: AppDataLayout(root: appData))
    }

    @Test("a fresh appdata from the template verifies, and the node's log folder is created")
    func freshAppData() throws {
        defer { folder.remove() }
        let verifier = try makeAppData()
        let report = try verifier.verify(nodeName: "node-1")
        #expect(report.created == ["logs/node-1"])
        #expect(report.clusterID == nil)
        #expect(FileManager.default.fileExists(atPath: appData + "/logs/node-1"))
        #expect(FileManager.default.fileExists(atPath: appData + "/conf/server/log4j.properties"))
        #expect(FileManager.default.fileExists(atPath: appData + "/conf/server/notification-templates/node-offline.mustache"))
        #expect(!FileManager.default.fileExists(atPath: appData + "/var/plugins/.gitkeep"))
        #expect(!FileManager.default.fileExists(atPath: appData + "/README.md"))
        // The write probe leaves nothing behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: appData).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test("missing optional folders are created; a missing required folder is refused by name")
    func folders() throws {
        defer { folder.remove() }
        let verifier = try makeAppData()
        try FileManager.default.removeItem(atPath: appData + "/var/plugins")
        #expect(try verifier.verify(nodeName: "n").created.contains("var/plugins"))
        try FileManager.default.removeItem(atPath: appData + "/conf/server")
        #expect {
            try verifier.verify(nodeName: "n")
        } throws: { error in
            (error as? AppDataError)?.code == .missingFolder && "\(error)".contains("\(appData)/conf/server is missing")
        }
    }

    @Test("a missing appdata folder, or a file in its place, is refused")
    func notThere() throws {
        defer { folder.remove() }
        let missing = AppDataVerifier(layout: AppDataLayout(root: folder.file("nowhere")))
        #expect { try missing.verify(nodeName: "n") } throws: { ($0 as? AppDataError)?.code == .missingRoot }
        let file = try folder.write("file", "x")
        let notFolder = AppDataVerifier(layout: AppDataLayout(root: file))
        #expect { try notFolder.verify(nodeName: "n") } throws: { ($0 as? AppDataError)?.code == .notAFolder }
    }

    @Test("appdata on a read-only mount is refused as not writable")
    func readOnly() async throws {
        defer { folder.remove() }
        _ = try makeAppData()
        let mountPoint = folder.file("ro")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try await Shell.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
        defer { _ = try? ChildProcess("/bin/umount", ["-l", mountPoint]) }
        try await Shell.run("/bin/cp", ["-a", appData + "/.", mountPoint])
        try await Shell.run("/bin/mount", ["-o", "remount,ro", mountPoint])
        let verifier = AppDataVerifier(layout: AppDataLayout(root: mountPoint))
        #expect {
            try verifier.verify(nodeName: "n")
        } throws: { error in
            (error as? AppDataError)?.code == .notWritable && "\(error)".contains("Read-only file system")
        }
    }

    @Test("cluster.id is written once and never replaced by another cluster's id")
    func clusterID() throws {
        defer { folder.remove() }
        let verifier = try makeAppData()
        let first = ClusterID()
        try verifier.writeClusterID(first)
        try verifier.writeClusterID(first)  // the same id again is fine
        #expect(try verifier.readClusterID() == first)
        #expect { try verifier.writeClusterID(ClusterID()) } throws: { ($0 as? AppDataError)?.code == .foreignCluster }
        #expect(try verifier.readClusterID() == first)
        try "garbage\n".write(toFile: appData + "/cluster.id", atomically: true, encoding: .utf8)
        #expect { try verifier.readClusterID() } throws: { ($0 as? AppDataError)?.code == .malformedClusterID }
    }

    @Test("init refuses a folder that is not empty and leaves it untouched")
    func initRefusesNonEmpty() throws {
        defer { folder.remove() }
        let target = try folder.write("busy/keep.txt", "precious")
        let template = try AppDataTemplate.locate(explicit: Binaries.packageRoot + "/appdata-template")
        #expect {
            try AppDataTemplate.instantiate(template: template, into: folder.file("busy"))
        } throws: { ($0 as? AppDataError)?.code == .notEmpty }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("busy")) == ["keep.txt"])
    }

    @Test("a node lock is exclusive while held and free once released")
    func nodeLock() async throws {
        defer { folder.remove() }
        let path = folder.path + "/" + NodeLock.fileName
        do {
            let lock = try NodeLock.acquire(folder: folder.path, owner: "node-1")
            #expect(NodeLock.isHeld(path: path))
            #expect {
                try NodeLock.acquire(folder: folder.path, owner: "node-1 again")
            } throws: { error in
                (error as? AppDataError)?.code == .locked && "\(error)".contains("node-1 pid \(getpid())")
            }
            withExtendedLifetime(lock) {}
        }
        // Released at once; a child another test spawns at that very moment shares the descriptor
        // until it execs, so give it a moment rather than read the lock in that instant.
        var held = NodeLock.isHeld(path: path)
        for _ in 0..<20 where held {
            try await Task.sleep(for: .milliseconds(50))
            held = NodeLock.isHeld(path: path)
        }
        #expect(!held)
    }
}
