import ArgumentParser
import Foundation
import Logging
import StewardConfiguration
import StewardModel
import StewardServer

@main
struct StewardServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward-server",
        abstract: "Run one node of a Steward cluster.",
        discussion: """
            The node reads its installed.properties, checks the shared appdata folder and the shared
            PostgreSQL database, joins the cluster (creating it if the database is empty), and serves
            HTTP, HTTPS and the agent WebSocket channel until SIGTERM or SIGINT.

            Exit status: 0 after a requested shutdown, 1 when the node refuses to start (the reason is
            printed as one line naming the file and key at fault), 64 for a usage error.
            """,
        version: StewardVersion.current.description)

    @Option(name: .long, help: ArgumentHelp("The node's installed.properties.", valueName: "path"))
    var config: String = NodeConfiguration.defaultConfigFile

    @Flag(name: .long, help: "Check the configuration, keystore, appdata and database, print the results, and exit.")
    var checkConfig = false

    @Flag(name: .customLong("rejoin"), help: "Let a node that was decommissioned join the cluster again.")
    var rejoin = false

    @Flag(name: .customLong("accept-new-certificate"),
          help: "Record this node's TLS certificate as the cluster's (after replacing the certificate for the whole cluster).")
    var acceptNewCertificate = false

    @Flag(name: .customLong("claim-appdata"), help: "Write this cluster's id into an appdata folder that has none (a freshly migrated appdata).")
    var claimAppData = false

    func run() async throws {
        // A log pipe whose reader went away (a supervisor restarted) must cost a lost line, not the node.
        signal(SIGPIPE, SIG_IGN)
        let sink = LogSink()
        LoggingSystem.bootstrap { StewardLogHandler(label: $0, sink: sink) }
        let configuration: NodeConfiguration
        do {
            configuration = try NodeConfiguration.load(path: config)
        } catch {
            Self.refuse("\(error)")
        }
        if checkConfig {
            sink.setStandardError(false)
            let results = await ConfigurationCheck(configuration: configuration).run()
            for result in results {
                print("\(result.ok ? "ok  " : "FAIL") \(result.name): \(result.detail)")
            }
            let failures = results.filter { !$0.ok }.count
            print(failures == 0 ? "configuration is valid" : "\(failures) check(s) failed")
            sink.flush()
            throw ExitCode(failures == 0 ? 0 : 1)
        }
        var options = StewardNode.Options()
        options.claimAppData = claimAppData
        options.rejoin = rejoin
        options.acceptNewCertificate = acceptNewCertificate
        do {
            try await StewardNode(configuration: configuration, options: options, sink: sink).run()
            sink.flush()
        } catch {
            Logger(label: "steward.server").critical("refusing to start: \(error)")
            sink.flush()
            throw ExitCode(1)
        }
    }

    static func refuse(_ message: String) -> Never {
        FileHandle.standardError.write(Data("steward-server: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
