import Foundation

/// Runs a program to completion and returns its output; throws with that output when it fails.
public enum Shell {
    public struct Output: Sendable {
        public let status: Int32
        public let output: String
    }

    @discardableResult
    public static func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                           input: String? = nil, allowFailure: Bool = false, timeout: Duration = .seconds(300)) async throws -> Output {
        // Output goes to a file, not a pipe: a pipe fills up and blocks a chatty program.
        let folder = try TemporaryDirectory(prefix: "steward-shell")
        defer { folder.remove() }
        let inputFile = try input.map { try folder.write("in", $0, permissions: 0o600) }
        let child = try ChildProcess(program, arguments, environment: environment, outputFile: folder.file("out"), inputFile: inputFile)
        let status: Int32
        do {
            status = try await child.wait(timeout: timeout)
        } catch {
            child.signal(SIGKILL)
            throw error
        }
        let output = (try? String(contentsOfFile: folder.file("out"), encoding: .utf8)) ?? ""
        if status != 0, !allowFailure {
            throw HarnessError("\(program) \(arguments.joined(separator: " ")) failed (\(status)):\n\(output)")
        }
        return Output(status: status, output: output)
    }
}
