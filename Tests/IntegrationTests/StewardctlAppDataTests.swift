import Foundation
import StewardTesting
import Testing

@Suite("stewardctl appdata init")
struct StewardctlAppDataTests {
    @Test("creates the whole layout in a new folder, and refuses a non-empty one with exit status 1")
    func initialize() async throws {
        let folder = try TemporaryDirectory(prefix: "steward-ctl")
        defer { folder.remove() }
        let template = Binaries.packageRoot + "/appdata-template"
        let created = try await Binaries.stewardctl(["appdata", "init", folder.file("appdata"), "--template", template, "--json"])
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("\"appdata\""))
        for path in ["conf/server/log4j.properties", "conf/server/notification-templates", "conf/collectors", "conf/installed.version",
                     "var/plugins", "var/repository", "var/sa", "patches", "logs"] {
            #expect(FileManager.default.fileExists(atPath: folder.file("appdata/\(path)")), "\(path)")
        }
        let refused = try await Binaries.stewardctl(["appdata", "init", folder.file("appdata"), "--template", template])
        #expect(refused.status == 1)
        #expect(refused.output.contains("is not empty"), "\(refused.output)")
    }
}
