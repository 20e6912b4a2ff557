import Foundation
import Logging
import StewardAppData
import StewardConfiguration
import StewardDatabase
import StewardKeys

/// What a node checks before it touches the network, in order; each step fails with one line
/// that names the file and key (or folder) at fault. `--check-config` runs the same steps.
struct NodeStartup {
    let configuration: NodeConfiguration

    var layout: AppDataLayout { AppDataLayout(root: configuration.appDataDirectory) }

    /// Step 1: every listener's port is free.
    func checkPorts() throws(ConfigurationError) { try PortCheck.check(configuration) }

    /// Step 2: the keystore opens with the password and holds a valid entry for the alias.
    func loadTLS() throws(ConfigurationError) -> TLSIdentity { try TLSIdentity.load(configuration) }

    /// Step 3: appdata is complete and writable (missing optional folders are created).
    func verifyAppData() throws(AppDataError) -> AppDataVerifier.Report {
        try AppDataVerifier(layout: layout).verify(nodeName: configuration.nodeName)
    }

    /// Step 3b: the master key file(s) can be read and are long enough.
    func loadMasterKeys() throws(ConfigurationError) -> [MasterKey] {
        guard configuration.masterKeyFile != nil else {
            throw configuration.error("server.master.key.file",
                "is required: the file holds the key that unlocks conf/encryption.keystore, the same on every node; make one with `stewardctl keys new-master-key /etc/steward/master.key`")
        }
        var keys: [MasterKey] = []
        for (key, file) in [("server.master.key.file", configuration.masterKeyFile), ("server.master.key.next.file", configuration.nextMasterKeyFile)] {
            guard let file else { continue }
            do {
                keys.append(try MasterKey.load(path: file))
            } catch {
                throw configuration.error(key, error.message)
            }
        }
        return keys
    }

    /// Step 4: the log settings in appdata parse.
    func loadLogSettings() throws(ConfigurationError) -> LogSettings {
        try LogConfigurationWatcher.load(path: layout.logConfigurationFile) ?? LogSettings()
    }
}
