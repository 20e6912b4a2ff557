import ArgumentParser
import Foundation
import StewardAppData
import StewardModel

struct AppDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "appdata",
        abstract: "Create and check shared appdata folders.",
        subcommands: [AppDataInit.self, AppDataMigrate.self, AppDataVerify.self])
}

struct AppDataInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new appdata folder from the template.",
        discussion: "DIR must not exist or be empty. The first node started on it writes cluster.id.")

    @Argument(help: "The folder to create (usually on the shared storage).")
    var directory: String

    @Option(help: "The appdata-template folder (default: found beside stewardctl or in the current folder).")
    var template: String?

    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        let appdata: String
        let template: String
        let created: [String]
    }

    func run() async throws {
        try await reportingFailures {
            let destination = URL(fileURLWithPath: directory).standardizedFileURL.path
            let source = try AppDataTemplate.locate(explicit: template)
            let created = try AppDataTemplate.instantiate(template: source, into: destination)
            try AtomicFile.write("\(StewardVersion.current)\n", to: destination + "/conf/installed.version")
            let result = Result(appdata: destination, template: source, created: created + ["conf/installed.version"])
            if output.json {
                try output.printJSON(result)
            } else {
                print("created appdata \(destination) from \(source) (\(result.created.count) entries)")
                print("next: set server.appdata.dir=\(destination) in each node's installed.properties")
            }
        }
    }
}
