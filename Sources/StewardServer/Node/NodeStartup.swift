import Foundation
import Logging
import StewardAppData
import StewardConfiguration
import StewardDatabase

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

    /// Step 4: the log settings in appdata parse.
    func loadLogSettings() throws(ConfigurationError) -> LogSettings {
        try LogConfigurationWatcher.load(path: layout.logConfigurationFile) ?? LogSettings()
    }
}
