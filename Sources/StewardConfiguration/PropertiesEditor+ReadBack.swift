/// The safety net of `PropertiesEditor`: an edit is parsed again and must read as the original
/// with only its key changed, or it is refused and nothing is written.
extension PropertiesEditor {
    /// Why a file cannot be edited: it does not parse, or the edit would not read back as
    /// intended (the safety net: then nothing is written).
    public struct EditError: Error, Equatable, CustomStringConvertible {
        public enum Kind: Sendable {
            /// The file does not parse as it is.
            case unparsable
            /// The file parses, but the edit would change more than the one key.
            case unsafeEdit
        }

        public let kind: Kind
        /// The 1-based line at fault, when there is one.
        public let line: Int?
        public let reason: String

        public var description: String { line.map { "line \($0): \(reason)" } ?? reason }
    }

    /// The safety net: `edit.result` must parse to the original entries, in order, with only the
    /// last `edit.key` given the new value (or, when it was absent, appended at the end).
    static func checkReadsBack(_ edit: Edit, original: [PropertiesParser.Entry]) throws(EditError) {
        var expected = original.map { (key: $0.key, value: $0.value) }
        if let index = expected.lastIndex(where: { $0.key == edit.key }), edit.oldValue != nil {
            expected[index].value = edit.newValue
        } else {
            expected.append((edit.key, edit.newValue))
        }
        let after: [PropertiesParser.Entry]
        do {
            after = try PropertiesParser.parse(decode(edit.result))
        } catch {
            throw EditError(kind: .unsafeEdit, line: error.line, reason: "the edited file would not parse (\(error.reason)); nothing was written. Set \(edit.key) by hand")
        }
        let found = after.map { (key: $0.key, value: $0.value) }
        let differs = { (index: Int) in index >= expected.count || index >= found.count || expected[index] != found[index] }
        guard let mismatch = (0..<max(expected.count, found.count)).first(where: differs) else { return }
        // Keys only, never values: the file may hold passwords.
        let line = mismatch < after.count ? after[mismatch].firstLine : nil
        let problem: String
        if mismatch >= found.count {
            problem = "\(expected[mismatch].key) would disappear"
        } else if mismatch >= expected.count || expected[mismatch].key != found[mismatch].key {
            problem = "it would read a key \(found[mismatch].key) that is not there now"
        } else {
            problem = "\(found[mismatch].key) would get another value"
        }
        throw EditError(kind: .unsafeEdit, line: line,
            reason: "setting \(edit.key) would change how the rest of the file reads (\(problem)); nothing was written. Set \(edit.key) by hand")
    }
}
