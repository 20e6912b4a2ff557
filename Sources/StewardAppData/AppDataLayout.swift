/// The shared appdata folder's layout (DESIGN §4). Every path any module uses is named here.
public struct AppDataLayout: Sendable {
    public let root: String

    public init(root: String) {
        var root = root
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    public func path(_ relative: String) -> String { root + "/" + relative }

    public var clusterIDFile: String { path("cluster.id") }
    public var installedVersionFile: String { path("conf/installed.version") }
    public var encryptionKeystore: String { path("conf/encryption.keystore") }
    public var serverKeystore: String { path("conf/server.keystore") }
    public var logConfigurationFile: String { path("conf/server/log4j.properties") }
    public var notificationTemplates: String { path("conf/server/notification-templates") }
    /// The public keys of the license issuers this cluster trusts.
    public var licenseIssuers: String { path("conf/license-issuers") }
    public func nodeLogDirectory(_ nodeName: String) -> String { path("logs/\(nodeName)") }

    /// Folders the node cannot work without; a missing one means this is not (yet) an appdata folder.
    public static let requiredFolders = ["conf", "conf/server", "var", "logs"]
    /// Folders the node creates when they are missing (a fresh or partly migrated appdata).
    public static let optionalFolders = [
        "conf/collectors", "conf/server/notification-templates",
        "var/plugins", "var/repository", "var/sa", "patches",
    ]
}
