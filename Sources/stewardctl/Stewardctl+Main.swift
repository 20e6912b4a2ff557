import ArgumentParser
import Foundation

extension Stewardctl {
    /// The documented exit status of a usage error (see the command's discussion).
    static let usageStatus: Int32 = 2

    /// The entry point, so that usage errors exit with 2 as documented (ArgumentParser's default
    /// is 64, EX_USAGE). Everything else is ArgumentParser's own behaviour: help on stdout with
    /// status 0, errors on stderr with their own status.
    static func main() async {
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(usageStatus)
            }
            exit(withError: error)
        }
    }
}
