import Foundation
import StewardConfiguration
import StewardTesting

/// Real file trees for migration tests, in one temporary folder per test: an installation or an
/// appdata folder with nested folders, names with spaces and non-ASCII characters, odd
/// permissions and old times, links inside the tree (relative and absolute), and a node's
/// installed.properties with comments and a continuation line.
struct Fixture {
    let folder: TemporaryDirectory

    init() throws { folder = try TemporaryDirectory(prefix: "steward-migration") }

    func remove() { folder.remove() }

    var install: String { folder.file("install") }
    var appData: String { folder.file("old appdata") }
    /// On "shared storage"; its name has a space and a non-ASCII letter.
    var destination: String { folder.file("shared/appdata nouvelle é") }
    var properties: String { folder.file("node/installed.properties") }
    /// The migration's source and destination arguments for the appdata folder.
    var fromAppData: [String] { ["--from-appdata", appData, "--to", destination] }

    /// A fixture whose appdata folder has been migrated to `destination` once, successfully.
    static func migratedAppData() async throws -> Fixture {
        let fixture = try Fixture()
        do {
            try fixture.makeAppData()
            let first = try await Migrate.run(fixture.fromAppData + ["--apply"])
            guard first.status == 0 else { throw HarnessError("the first migration failed:\n\(first.output)") }
            return fixture
        } catch {
            fixture.remove()
            throw error
        }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    /// A file with these bytes, this mode and (unless nil) this modification time.
    @discardableResult
    static func write(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, modified: Int? = 1_000_000_000) throws -> String {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw HarnessError("cannot write \(path)") }
        chmod(path, mode)
        if let modified { try setTime(path, modified) }
        return path
    }

    @discardableResult
    static func write(_ path: String, _ text: String, mode: mode_t = 0o644, modified: Int? = 1_000_000_000) throws -> String {
        try write(path, Array(text.utf8), mode: mode, modified: modified)
    }

    static func setTime(_ path: String, _ seconds: Int, nanoseconds: Int = 123_456_789) throws {
        var times = [timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds)]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw HarnessError("cannot set the time of \(path)") }
    }

    static func link(_ path: String, to target: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard symlink(target, path) == 0 else { throw HarnessError("cannot link \(path)") }
    }

    static func folder(_ path: String, mode: mode_t = 0o755) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, mode)
    }

    /// Deterministic pseudo-random bytes (a 64-bit LCG), for files whose content matters.
    static func pseudoRandom(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var index = 0
            while index + 8 <= count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                buffer.storeBytes(of: state, toByteOffset: index, as: UInt64.self)
                index += 8
            }
        }
        return bytes
    }

    /// The data a node keeps, written under `root` (an installation or an appdata folder alike).
    /// `skip` leaves out items; `bigFile` adds a file of that many bytes under var/repository.
    func writeData(under root: String, skip: Set<String> = [], bigFile: Int = 0) throws {
        func wanted(_ item: String) -> Bool { !skip.contains(item) }
        if wanted("var/plugins") {
            try Self.write(root + "/var/plugins/deploy-tools.jar", Self.pseudoRandom(70_000, seed: 1))
            try Self.write(root + "/var/plugins/Ünïcödé plugin/lib/names with spaces.jar", Self.pseudoRandom(4_000, seed: 2), mode: 0o600)
            try Self.write(root + "/var/plugins/Ünïcödé plugin/bin/run.sh", "#!/bin/sh\necho hi\n", mode: 0o755)
            try Self.write(root + "/var/plugins/empty file", "")
            try Self.folder(root + "/var/plugins/empty folder", mode: 0o750)
            try Self.link(root + "/var/plugins/current.jar", to: "deploy-tools.jar")
            try Self.link(root + "/var/plugins/Ünïcödé plugin/lib/up", to: "../../deploy-tools.jar")
            try Self.link(root + "/var/plugins/absolute link", to: root + "/var/plugins/deploy-tools.jar")
            try Self.link(root + "/var/plugins/dangling inside", to: "not-yet-there.jar")
        }
        if wanted("var/repository") {
            try Self.write(root + "/var/repository/sha256/ab/abcdef0123", Self.pseudoRandom(123_457, seed: 3), modified: 946_684_800)
            if bigFile > 0 { try Self.write(root + "/var/repository/sha256/cd/big artifact.bin", Self.pseudoRandom(bigFile, seed: 4)) }
        }
        if wanted("var/sa") { try Self.write(root + "/var/sa/agents.json", "{\"agents\": []}\n") }
        if wanted("logs") {
            try Self.write(root + "/logs/node-a/server.log", "line 1\nline 2\n")
            try Self.write(root + "/logs/node-a/server.log.1", Self.pseudoRandom(10_000, seed: 5))
        }
        if wanted("conf/server/notification-templates") {
            try Self.write(root + "/conf/server/notification-templates/node-offline.mustache", "Node {{name}} is offline.\n")
        }
        if wanted("conf/encryption.keystore") { try Self.write(root + "/conf/encryption.keystore", Self.pseudoRandom(2_500, seed: 6), mode: 0o600) }
        if wanted("conf/server.keystore") { try Self.write(root + "/conf/server.keystore", Self.pseudoRandom(3_100, seed: 7), mode: 0o600) }
        if wanted("conf/collectors") { try Self.write(root + "/conf/collectors/cpu.yaml", "interval: 10s\n") }
        if wanted("patches") { try Self.write(root + "/patches/0001 fix é.patch", "--- a\n+++ b\n") }
        if wanted("conf/server/log4j.properties") { try Self.write(root + "/conf/server/log4j.properties", "log4j.rootLogger=INFO\n") }
        if wanted("conf/installed.version") { try Self.write(root + "/conf/installed.version", "0.9.0\n") }
    }

    /// An older installation: the data plus things that are not data (binaries, the node's own conf).
    func makeInstall(skip: Set<String> = [], bigFile: Int = 0) throws {
        try writeData(under: install, skip: skip, bigFile: bigFile)
        try Self.write(install + "/bin/steward-server", "binary", mode: 0o755)
        try Self.write(install + "/conf/wrapper.conf", "wrapper\n")
    }

    /// An appdata folder (DESIGN §4), optionally claimed by a cluster.
    func makeAppData(clusterID: String? = "6f1c8f4e-3d7a-4f0e-9c55-2b8e7c1d9a10", bigFile: Int = 0) throws {
        try writeData(under: appData, bigFile: bigFile)
        if let clusterID { try Self.write(appData + "/cluster.id", clusterID + "\n") }
    }

    /// A node's installed.properties; returns its bytes.
    @discardableResult
    func writeProperties(appDataDir: String, databaseURL: String = "postgres://127.0.0.1:1/steward") throws -> [UInt8] {
        let text = """
            # Steward node configuration\r
            ! written by the installer, edited by hand

            server.node.name = node-a
            server.appdata.dir = \(appDataDir.replacingOccurrences(of: "/", with: "/\\\n    ", options: [], range: appDataDir.range(of: "/")))
            database.url=\(databaseURL)
            database.user : steward
            # a comment after
            custom.greeting=caf\\u00e9 \\u2603
            """ + "\n"
        try Self.write(properties, text, mode: 0o640, modified: nil)
        return Array(text.utf8)
    }

    /// The properties file as it must be after the migration: the same bytes, one key changed.
    static func expectedProperties(_ original: [UInt8], destination: String) throws -> [UInt8] {
        try PropertiesEditor.set("server.appdata.dir", to: destination, in: original).result
    }

    static func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}
