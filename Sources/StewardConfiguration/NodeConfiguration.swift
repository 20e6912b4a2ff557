import Foundation

/// Everything one node reads from its `installed.properties`, typed and defaulted.
/// Every key is documented, with its default, in `installed.properties.sample`.
public struct NodeConfiguration: Sendable {
    public var configFile: String
    public var nodeName: String
    public var appDataDirectory: String
    public var bindAddress: String = "0.0.0.0"
    /// How agents (and operators) reach this node: its host name unless `server.advertised.host` says.
    public var advertisedHost: String = ProcessInfo.processInfo.hostName
    public var httpPort: Int = 8080
    public var httpsPort: Int = 8443
    public var webSocketPort: Int = 7919
    public var externalURL: URL?
    public var keystorePath: String
    public var keystorePassword: Secret?
    /// nil: use the keystore's only key entry.
    public var keyAlias: String?
    /// Required to start a node (checked then, so tools that read only other keys need none).
    public var masterKeyFile: String?
    /// During a master key change: the new key, accepted next to the old one (docs/keys.md).
    public var nextMasterKeyFile: String?
    public var trustedProxies: [NetworkRange] = []
    public var shutdownTimeout: Duration = .seconds(30)
    /// Job attempts this node runs at once (`jobs.workers`).
    public var jobWorkers: Int = 10
    /// This node's own scratch folder (`server.temp.dir`), swept of old files by a local job.
    public var temporaryDirectory: String = ""
    /// After SIGTERM, how long the node reports itself not ready before its listeners close.
    public var shutdownDrainDelay: Duration = .seconds(2)
    /// The cluster settings this node would create a new cluster with: the defaults, and any set in
    /// this file. A running cluster's own settings (in the database) always win.
    public var bootstrapSettings = ClusterSettings.defaults
    /// The cluster settings this file sets explicitly, in canonical spelling.
    public var localSettings: [String: String] = [:]
    public var listeners = ListenerConfiguration()
    public var database = DatabaseConfiguration()
    public var security = SecurityConfiguration()
    /// Unknown and duplicate keys: reported at start, never fatal.
    public var warnings: [ConfigurationWarning] = []
    /// The line each key was set on, so that later checks (keystore, ports) can name it.
    public var keyLines: [String: Int] = [:]
    /// Every key this configuration reads (whether or not the file sets it).
    public private(set) var knownKeys: Set<String> = []

    public static let defaultConfigFile = "installed.properties"

    /// Reads and validates `path`; throws the first problem as one clear line.
    public static func load(path: String) throws(ConfigurationError) -> NodeConfiguration {
        try NodeConfiguration(file: PropertiesFile.load(path: path))
    }

    public init(file: PropertiesFile) throws(ConfigurationError) {
        let reader = PropertyReader(file)
        configFile = file.path
        nodeName = try Self.nodeName(reader)
        appDataDirectory = reader.resolve(try reader.required(
            "server.appdata.dir", meaning: "the shared appdata directory every node of the cluster mounts"))
        if let address = reader.string("server.bind.address") {
            guard NetworkRange.parseAddress(address) != nil || Self.isHostName(address) else {
                throw reader.error("server.bind.address", "'\(address)' is not an IP address or host name")
            }
            bindAddress = address
        }
        if let host = reader.string("server.advertised.host") {
            guard NetworkRange.parseAddress(host) != nil || Self.isHostName(host) else {
                throw reader.error("server.advertised.host", "'\(host)' is not an IP address or host name")
            }
            advertisedHost = host
        }
        httpPort = try reader.port("server.http.port", default: httpPort)
        httpsPort = try reader.port("server.https.port", default: httpsPort)
        webSocketPort = try reader.port("server.websocket.port", default: webSocketPort)
        try Self.checkDistinctPorts(reader, http: httpPort, https: httpsPort, webSocket: webSocketPort)
        if let text = reader.string("server.external.url") {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw reader.error("server.external.url", "'\(text)' is not an http:// or https:// URL")
            }
            externalURL = url
        }
        keystorePath = reader.path("server.keystore") ?? appDataDirectory + "/conf/server.keystore"
        keystorePassword = try reader.secret("server.keystore.password", fileKey: "server.keystore.password.file")
        keyAlias = reader.string("server.key.alias")
        masterKeyFile = reader.path("server.master.key.file")
        nextMasterKeyFile = reader.path("server.master.key.next.file")
        for (key, file) in [("server.master.key.file", masterKeyFile), ("server.master.key.next.file", nextMasterKeyFile)] {
            if let file, !FileManager.default.isReadableFile(atPath: file) {
                throw reader.error(key, "the file \(file) does not exist or is not readable")
            }
        }
        trustedProxies = try Self.trustedProxies(reader)
        shutdownTimeout = try reader.duration("server.shutdown.timeout", default: shutdownTimeout)
        jobWorkers = try reader.int("jobs.workers", default: jobWorkers, range: 1...1000)
        temporaryDirectory = reader.path("server.temp.dir") ?? reader.resolve("temp")
        shutdownDrainDelay = try reader.duration("server.shutdown.drain.delay", default: shutdownDrainDelay, allowZero: true)
        (bootstrapSettings, localSettings) = try Self.localClusterSettings(reader)
        listeners = try ListenerConfiguration(reader: reader)
        database = try DatabaseConfiguration(reader: reader)
        security = try SecurityConfiguration(reader: reader)
        warnings = file.duplicateWarnings + reader.unknownKeyWarnings()
        if let warning = database.tlsWarning {
            warnings.append(ConfigurationWarning(file: file.path, line: file.entries.last { $0.key == "database.tls" }?.firstLine ?? 0, message: warning))
        }
        for entry in file.entries { keyLines[entry.key] = entry.firstLine }
        knownKeys = reader.knownKeys
    }

    /// A problem found after loading (a port in use, a bad keystore), placed at the key's line.
    public func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: configFile, line: keyLines[key], key: key, message: message)
    }

    /// Node names become folder names under `appdata/logs/`, so they are kept to a safe alphabet.
    static func nodeName(_ reader: PropertyReader) throws(ConfigurationError) -> String {
        let name = reader.string("server.node.name") ?? ProcessInfo.processInfo.hostName
        guard isValidNodeName(name) else {
            throw reader.error(
                "server.node.name",
                "'\(name)' is not a valid node name: use 1-63 letters, digits, '.', '-' or '_', starting with a letter or digit")
        }
        return name
    }

    public static func isValidNodeName(_ name: String) -> Bool {
        guard (1...63).contains(name.count), let first = name.unicodeScalars.first,
              CharacterSet.alphanumerics.contains(first), first.isASCII
        else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    static func isHostName(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 253 && text.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == ".")
        }
    }

    static func checkDistinctPorts(_ reader: PropertyReader, http: Int, https: Int, webSocket: Int) throws(ConfigurationError) {
        if https == http {
            throw reader.error("server.https.port", "\(https) is also server.http.port; each listener needs its own port")
        }
        if webSocket == http || webSocket == https {
            let other = webSocket == http ? "server.http.port" : "server.https.port"
            throw reader.error("server.websocket.port", "\(webSocket) is also \(other); each listener needs its own port")
        }
    }

    static func trustedProxies(_ reader: PropertyReader) throws(ConfigurationError) -> [NetworkRange] {
        guard let text = reader.string("server.trusted.proxies") else { return [] }
        var ranges: [NetworkRange] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let range = NetworkRange(item) else {
                throw reader.error("server.trusted.proxies", "'\(item)' is not an address or CIDR block such as 10.0.0.0/8")
            }
            ranges.append(range)
        }
        return ranges
    }
}
