import Foundation
import StewardConfiguration
import Testing

@Suite("installed.properties.sample documents every key")
struct SampleFileTests {
    static let samplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("installed.properties.sample").path

    /// Keys in the sample, set or commented out (`#key=value`).
    static func sampleKeys() throws -> Set<String> {
        let text = try String(contentsOfFile: samplePath, encoding: .utf8)
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("#") && line.dropFirst().first.map({ $0.isLetter }) == true ? String(line.dropFirst()) : String(line)
        }.joined(separator: "\n")
        return Set(try PropertiesParser.parse(uncommented).map(\.key))
    }

    @Test("the sample names exactly the keys the node reads")
    func everyKeyDocumented() throws {
        let configuration = try NodeConfiguration(file: PropertiesFile(path: "x", text: "server.appdata.dir=/a\nserver.master.key.file=/dev/null\n"))
        #expect(try Self.sampleKeys() == configuration.knownKeys)
    }
}
