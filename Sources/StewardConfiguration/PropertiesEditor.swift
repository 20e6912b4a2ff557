/// Sets one key of a `.properties` file and leaves every other byte exactly as it was:
/// comments, blank lines, order, continuations, line endings and the file's encoding.
///
/// Written by hand because no Swift package edits this format (and `PropertiesParser` only reads
/// it). The edit works on the raw bytes: the parser says which lines hold the key (its line
/// numbers count `\n`, `\r\n` and lone `\r` endings exactly as `rawLines` does), and only those
/// lines are replaced. Line endings are ASCII in UTF-8 and ISO-8859-1 alike, so splitting the
/// bytes and splitting the decoded text agree. A UTF-8 byte order mark stays in front.
///
/// Every edit is checked by parsing its result again: it must hold the original entries, in order,
/// with only the one key changed or appended. An edit that would read differently is refused.
public enum PropertiesEditor {
    /// What `set` would do; `result` is the whole new file.
    public struct Edit: Sendable, Equatable {
        public let key: String
        public let oldValue: String?
        public let newValue: String
        /// The 1-based lines replaced; nil when the key was absent and is appended.
        public let replacedLines: ClosedRange<Int>?
        /// The replaced lines as they were (without their line endings), for showing the change.
        public let removedLines: [String]
        /// The line written in their place (without its line ending).
        public let addedLine: String
        public let result: [UInt8]

        /// True when the key already has this value: the file stays as it is.
        public var isUnchanged: Bool { oldValue == newValue }
    }

    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Sets `key` to `value` in the file `original`. When the key appears more than once, the
    /// last one (the one Java and `PropertiesFile` use) is replaced.
    ///
    /// Every result is parsed again and compared with the original: unless it holds exactly the
    /// original entries with only `key` changed (or appended), `set` throws and nothing should be written.
    public static func set(_ key: String, to value: String, in original: [UInt8]) throws(EditError) -> Edit {
        // A UTF-8 byte order mark is kept as it is and is not part of the first line's key.
        if original.starts(with: byteOrderMark), String(validating: original, as: UTF8.self) != nil {
            let edit = try set(key, to: value, in: Array(original.dropFirst(byteOrderMark.count)))
            return Edit(key: edit.key, oldValue: edit.oldValue, newValue: edit.newValue, replacedLines: edit.replacedLines,
                        removedLines: edit.removedLines, addedLine: edit.addedLine,
                        result: edit.isUnchanged ? original : byteOrderMark + edit.result)
        }
        let before: [PropertiesParser.Entry]
        do {
            before = try PropertiesParser.parse(decode(original))
        } catch {
            throw EditError(kind: .unparsable, line: error.line, reason: error.reason)
        }
        let edit = edit(key, to: value, in: original, entries: before)
        if !edit.isUnchanged { try checkReadsBack(edit, original: before) }
        return edit
    }

    static func edit(_ key: String, to value: String, in original: [UInt8], entries: [PropertiesParser.Entry]) -> Edit {
        let entry = entries.last { $0.key == key }
        let lines = rawLines(original)
        if let entry, entry.value == value {
            return Edit(key: key, oldValue: value, newValue: value, replacedLines: entry.firstLine...entry.lastLine,
                        removedLines: [], addedLine: "", result: original)
        }
        let escaped = Array(escapeValue(value).utf8)
        guard let entry, entry.firstLine >= 1, entry.lastLine <= lines.count else {
            // Absent: append, after a line ending if the file's last line has none.
            var result = original
            let ending = lines.first { !$0.ending.isEmpty }.map { Array(original[$0.ending]) } ?? [0x0A]
            if let last = lines.last, last.ending.isEmpty { result += ending }
            // A last entry that ends in a continuation would swallow the new line: a blank line ends it.
            if let last = lines.last, entries.last?.lastLine == lines.count, endsWithContinuation(original[last.content]) {
                result += ending
            }
            let added = Array(escapeKey(key).utf8) + [UInt8(ascii: "=")] + escaped
            result += added + ending
            return Edit(key: key, oldValue: nil, newValue: value, replacedLines: nil, removedLines: [],
                        addedLine: String(decoding: added, as: UTF8.self), result: result)
        }
        let first = lines[entry.firstLine - 1]
        let last = lines[entry.lastLine - 1]
        let prefix = keyPrefix(Array(original[first.content])) ?? Array(escapeKey(key).utf8) + [UInt8(ascii: "=")]
        let replacement = prefix + escaped
        var result = Array(original[..<first.content.lowerBound])
        result += replacement
        result += original[last.ending]
        result += original[last.ending.upperBound...]
        let removed = lines[(entry.firstLine - 1)...(entry.lastLine - 1)].map { decode(Array(original[$0.content])) }
        return Edit(key: key, oldValue: entry.value, newValue: value, replacedLines: entry.firstLine...entry.lastLine,
                    removedLines: removed, addedLine: decode(replacement), result: result)
    }

    /// True when `line` ends in an odd number of backslashes (it continues on the next line).
    static func endsWithContinuation(_ line: ArraySlice<UInt8>) -> Bool {
        line.reversed().prefix { $0 == UInt8(ascii: "\\") }.count % 2 == 1
    }

    /// One physical line: its content and its ending (`\n`, `\r\n`, `\r`, or nothing at the end of the file).
    struct RawLine {
        let content: Range<Int>
        let ending: Range<Int>
    }

    /// Splits like `PropertiesParser.naturalLines`: a final line without an ending counts only if it is not empty.
    static func rawLines(_ bytes: [UInt8]) -> [RawLine] {
        var lines: [RawLine] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                var end = index + 1
                if byte == 0x0D, end < bytes.count, bytes[end] == 0x0A { end += 1 }
                lines.append(RawLine(content: start..<index, ending: index..<end))
                start = end
                index = end
            } else {
                index += 1
            }
        }
        if start < bytes.count { lines.append(RawLine(content: start..<bytes.count, ending: bytes.count..<bytes.count)) }
        return lines
    }

    /// The bytes of `line` before its value (leading space, key, separator), or nil when the
    /// value does not start on this line (then a canonical `key=` is written instead).
    static func keyPrefix(_ line: [UInt8]) -> [UInt8]? {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0C }
        var index = 0
        while index < line.count, isSpace(line[index]) { index += 1 }
        while index < line.count {
            let byte = line[index]
            if byte == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if byte == UInt8(ascii: "=") || byte == UInt8(ascii: ":") || isSpace(byte) { break }
            index += 1
        }
        guard index < line.count else { return nil }
        while index < line.count, isSpace(line[index]) { index += 1 }
        if index < line.count, line[index] == UInt8(ascii: "=") || line[index] == UInt8(ascii: ":") { index += 1 }
        while index < line.count, isSpace(line[index]) { index += 1 }
        return Array(line[..<index])
    }

    /// A value as `.properties` needs it: backslashes doubled, a leading space escaped, control
    /// and non-ASCII characters as `\uXXXX` (so the file reads the same as UTF-8 or ISO-8859-1).
    public static func escapeValue(_ value: String) -> String {
        escape(value, escapingSpaces: false)
    }

    /// A key: as a value, and `=`, `:`, spaces and a leading `#` or `!` escaped as well.
    public static func escapeKey(_ key: String) -> String {
        escape(key, escapingSpaces: true)
    }

    static func escape(_ text: String, escapingSpaces: Bool) -> String {
        var result = ""
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            switch scalar {
            case "\\": result += "\\\\"
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\u{0C}": result += "\\f"
            case " " where offset == 0 || escapingSpaces: result += "\\ "
            case "=" where escapingSpaces, ":" where escapingSpaces: result += "\\" + String(scalar)
            case "#" where escapingSpaces && offset == 0, "!" where escapingSpaces && offset == 0:
                result += "\\" + String(scalar)
            case " "..."~": result.unicodeScalars.append(scalar)
            default:
                for unit in String(scalar).utf16 { result += "\\u" + hex4(unit) }
            }
        }
        return result
    }

    static func hex4(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    /// UTF-8 when valid, else ISO-8859-1, as `PropertiesFile.load` reads files.
    public static func decode(_ bytes: [UInt8]) -> String {
        if var text = String(validating: bytes, as: UTF8.self) {
            if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }  // a BOM is not part of the first key
            return text
        }
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }
}
