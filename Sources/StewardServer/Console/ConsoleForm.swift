import Foundation
import Hummingbird
import NIOCore

/// A posted `application/x-www-form-urlencoded` form. Fields may repeat; `value` is the first.
struct ConsoleForm: Sendable {
    let fields: [(name: String, value: String)]

    static let maxSize = 64 * 1024

    static func read(_ request: Request, _ context: StewardRequestContext) async throws -> ConsoleForm {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else {
            throw ConsoleAPI.Refusal(status: .unsupportedMediaType, message: "send the form as application/x-www-form-urlencoded")
        }
        do {
            let buffer = try await request.body.collect(upTo: min(maxSize, context.bodyLimit))
            return ConsoleForm(encoded: String(buffer: buffer))
        } catch is NIOTooManyBytesError {
            // Shown on the page, in words, rather than as the API's JSON.
            throw ConsoleAPI.Refusal(status: .contentTooLarge, message: "the form is larger than the \(min(maxSize, context.bodyLimit)) bytes it may be")
        }
    }

    init(encoded: String) {
        fields = encoded.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    func trimmed(_ name: String) -> String? {
        guard let value = value(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    /// The token every console form carries; the API compares it with the session's own.
    var csrf: String { value("csrf") ?? "" }

    /// One item per line, blank lines dropped (argv, tags, environment).
    func lines(_ name: String) -> [String] {
        (value(name) ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
