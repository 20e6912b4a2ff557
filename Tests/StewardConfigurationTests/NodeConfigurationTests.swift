import Foundation
import StewardConfiguration
import Testing

@Suite("installed.properties → NodeConfiguration")
struct NodeConfigurationTests {
    static func configuration(_ text: String) throws(ConfigurationError) -> NodeConfiguration {
        // Every node needs a master key file; any readable file will do for parsing.
        try NodeConfiguration(file: PropertiesFile(path: "/etc/steward/installed.properties", text: text + "server.master.key.file=/dev/null\n"))
    }

    @Test("defaults fill every key that is not set")
    func defaults() throws {
        let configuration = try Self.configuration("server.appdata.dir=/shared/appdata\nserver.node.name=node-1\n")
        #expect(configuration.nodeName == "node-1")
        #expect(configuration.appDataDirectory == "/shared/appdata")
        #expect(configuration.bindAddress == "0.0.0.0")
        #expect([configuration.httpPort, configuration.httpsPort, configuration.webSocketPort] == [Int]([8080, 8443, 7919]))
        #expect(configuration.keystorePath == "/shared/appdata/conf/server.keystore")
        #expect(configuration.keyAlias == nil)
        #expect(configuration.bootstrapSettings == .defaults)
        #expect(configuration.localSettings.isEmpty)
        #expect(configuration.database.host == "localhost")
        #expect(configuration.database.port == 5432)
        #expect(configuration.database.tls == .disable, "localhost: nothing crosses a host")
        #expect(configuration.database.statementTimeout == .seconds(30))
        #expect(configuration.warnings.isEmpty)
    }

    @Test("a relative path is taken relative to the properties file's folder")
    func relativePaths() throws {
        let configuration = try Self.configuration("server.appdata.dir=../shared/appdata\n")
        #expect(configuration.appDataDirectory == "/etc/shared/appdata")
    }

    @Test("database.url gives host, port and database name")
    func databaseURL() throws {
        let configuration = try Self.configuration("server.appdata.dir=/a\ndatabase.url=postgres://db.example:6543/fleet\n")
        #expect(configuration.database.host == "db.example")
        #expect(configuration.database.port == 6543)
        #expect(configuration.database.database == "fleet")
        #expect(configuration.database.displayURL == "postgres://steward@db.example:6543/fleet")
    }

    @Test("durations need a unit and accept ms, s, m and h")
    func durations() throws {
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("3s") == .seconds(3))
        #expect(DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(DurationText.parse("2m") == .seconds(120))
        #expect(DurationText.parse("1h") == .seconds(3600))
        #expect(DurationText.parse("3") == nil)
        #expect(DurationText.parse("three seconds") == nil)
        #expect(DurationText.parse("-1s") == nil)
    }

    /// Each bad value stops the node with one line naming the file, the line and the key.
    @Test("bad values are refused with file, line and key", arguments: [
        ("server.http.port=80800", "installed.properties:2: server.http.port: '80800' is not a port number (1-65535)"),
        ("server.https.port=http", "installed.properties:2: server.https.port: 'http' is not a port number (1-65535)"),
        ("server.https.port=8080", "installed.properties:2: server.https.port: 8080 is also server.http.port; each listener needs its own port"),
        ("cluster.heartbeat.interval=3", "installed.properties:2: cluster.heartbeat.interval: '3' is not a duration such as 500ms, 3s, 2m, 1h or 7d"),
        ("cluster.node.offline.after=4s", "installed.properties:2: cluster.node.offline.after: 4s must be at least twice cluster.heartbeat.interval (3s), or one late heartbeat marks a node offline"),
        ("cluster.max.nodes=21", "installed.properties:2: cluster.max.nodes: 21 is outside 1...20"),
        ("database.tls=sometimes", "installed.properties:2: database.tls: 'sometimes' is not one of: disable, prefer, require, verify-full"),
        ("database.url=mysql://x/y", "installed.properties:2: database.url: 'mysql://x/y' is not a postgres://host:port/database URL"),
        ("database.url=postgres://me:pw@x/y", "installed.properties:2: database.url: 'postgres://me:pw@x/y' is not a postgres://host:port/database URL"),
        ("database.password.file=/nonexistent/pw", "installed.properties:2: database.password.file: the file /nonexistent/pw does not exist"),
        ("server.node.name=../etc", "installed.properties:2: server.node.name: '../etc' is not a valid node name: use 1-63 letters, digits, '.', '-' or '_', starting with a letter or digit"),
        ("server.trusted.proxies=10.0.0.0/8, nonsense", "installed.properties:2: server.trusted.proxies: 'nonsense' is not an address or CIDR block such as 10.0.0.0/8"),
        ("server.external.url=ftp://lb", "installed.properties:2: server.external.url: 'ftp://lb' is not an http:// or https:// URL"),
    ])
    func refusals(line: String, message: String) {
        #expect {
            try Self.configuration("server.appdata.dir=/a\n\(line)\n")
        } throws: { error in
            "\(error)" == "/etc/steward/" + message
        }
    }

    @Test("a missing server.appdata.dir is refused, naming the key")
    func missingAppData() {
        #expect {
            try Self.configuration("server.node.name=a\n")
        } throws: { error in
            "\(error)" == "/etc/steward/installed.properties: server.appdata.dir: is required: the shared appdata directory every node of the cluster mounts"
        }
    }

    @Test("unknown keys are warned about, with a suggestion when one is close")
    func unknownKeys() throws {
        let configuration = try Self.configuration("server.appdata.dir=/a\nserver.http.prot=8081\nsomething.else=1\n")
        #expect(configuration.warnings.map(\.description) == [
            "/etc/steward/installed.properties:2: unknown key server.http.prot is ignored; did you mean server.http.port?",
            "/etc/steward/installed.properties:3: unknown key something.else is ignored",
        ])
        #expect(configuration.httpPort == 8080)
    }

    @Test("a secret file's trailing newline is dropped; the secret never prints")
    func secretFile() throws {
        let path = NSTemporaryDirectory() + "/steward-secret-\(UUID())"
        try "p@ss word\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try Self.configuration("server.appdata.dir=/a\ndatabase.password.file=\(path)\n")
        #expect(configuration.database.password?.value == "p@ss word")
        #expect("\(configuration.database.password!)" == "<redacted>")
        #expect(!"\(configuration)".contains("p@ss word"))
    }

    @Test("an inline password and a password file together are ambiguous")
    func bothSecrets() {
        #expect(throws: ConfigurationError.self) {
            try Self.configuration("server.appdata.dir=/a\ndatabase.password=x\ndatabase.password.file=/etc/passwd\n")
        }
    }

    @Test("trusted proxies match addresses inside their blocks only")
    func networkRanges() throws {
        let range = try #require(NetworkRange("10.1.0.0/16"))
        #expect(range.contains("10.1.200.3"))
        #expect(!range.contains("10.2.0.1"))
        #expect(range.contains("::ffff:10.1.0.9"))
        let v6 = try #require(NetworkRange("fd00::/8"))
        #expect(v6.contains("fd12::1"))
        #expect(!v6.contains("fe80::1"))
        #expect(NetworkRange("10.0.0.0/33") == nil)
        #expect(NetworkRange("not-an-ip") == nil)
    }
}
