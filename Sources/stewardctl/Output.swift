import ArgumentParser
import Foundation

/// Output shared by every command: `--json` for scripts, aligned columns for people.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints `value` as JSON with `--json`, else as `text` makes it for people.
    func show<T: Encodable>(_ value: T, _ text: (T) -> String) throws {
        if json { try printJSON(value) } else { print(text(value)) }
    }
}

enum Table {
    /// Columns padded to their widest cell; the header underlined by nothing but its own case.
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Two columns, `key  value`, for one object.
    static func pairs(_ pairs: [(String, String)]) -> String {
        render(["FIELD", "VALUE"], pairs.map { [$0.0, $0.1] })
    }
}

/// Stops the command with a message and one of the documented exit codes.
struct Failure: Error, CustomStringConvertible {
    static let refused: Int32 = 1
    static let unreachable: Int32 = 3
    static let unauthenticated: Int32 = 4

    let message: String
    let code: Int32

    init(_ message: String, code: Int32 = Failure.refused) {
        self.message = message
        self.code = code
    }

    var description: String { message }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning any error into one line on stderr and the matching exit code.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ExitCode {
            throw error
        } catch let error as Failure {
            FileHandle.standardError.write(Data("stewardctl: \(error.message)\n".utf8))
            throw ExitCode(error.code)
        } catch {
            FileHandle.standardError.write(Data("stewardctl: \(error)\n".utf8))
            throw ExitCode(Failure.refused)
        }
    }
}
