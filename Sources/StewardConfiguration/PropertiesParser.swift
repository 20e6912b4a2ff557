/// Parser for Java `.properties` files, as `java.util.Properties.load(Reader)` reads them.
///
/// Written by hand: no Swift package reads this format. It follows the Java rules exactly:
/// comments start with `#` or `!`; the key ends at the first unescaped `=`, `:` or whitespace;
/// a line ending in an odd number of backslashes continues on the next line (whose leading
/// whitespace is dropped); `\t \n \r \f \uXXXX` are escapes and any other escaped character
/// stands for itself. Trailing whitespace belongs to the value, as in Java.
public enum PropertiesParser {
    /// One `key=value` pair with the lines it came from (1-based, inclusive).
    public struct Entry: Equatable, Sendable {
        public let key: String
        public let value: String
        public let firstLine: Int
        public let lastLine: Int
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public static func parse(_ text: String) throws(ParseError) -> [Entry] {
        var entries: [Entry] = []
        let lines = naturalLines(text)
        var index = 0
        while index < lines.count {
            let first = index
            let leading = lines[index].drop(while: isWhitespace)
            // Blank and comment lines stand alone: a comment never continues onto the next line.
            if leading.isEmpty || leading.first == "#" || leading.first == "!" {
                index += 1
                continue
            }
            var logical = Array(leading)
            while endsWithContinuation(logical), index + 1 < lines.count {
                logical.removeLast()
                index += 1
                logical += lines[index].drop(while: isWhitespace)
            }
            if endsWithContinuation(logical) { logical.removeLast() }  // continuation at end of file
            let (key, value) = try splitKeyValue(logical, line: first + 1)
            entries.append(Entry(key: key, value: value, firstLine: first + 1, lastLine: index + 1))
            index += 1
        }
        return entries
    }

    /// Splits on `\n`, `\r\n` and lone `\r`, as Java's LineReader does.
    static func naturalLines(_ text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if !previousWasCR { lines.append(current) }
                current = []
                previousWasCR = false
            } else if scalar == "\r" {
                lines.append(current)
                current = []
                previousWasCR = true
            } else {
                current.append(scalar)
                previousWasCR = false
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\u{0C}"
    }

    static func endsWithContinuation(_ line: [Unicode.Scalar]) -> Bool {
        var backslashes = 0
        for scalar in line.reversed() {
            guard scalar == "\\" else { break }
            backslashes += 1
        }
        return backslashes % 2 == 1
    }

    static func splitKeyValue(_ line: [Unicode.Scalar], line number: Int) throws(ParseError) -> (String, String) {
        var keyEnd = line.count
        var valueStart = line.count
        var position = 0
        while position < line.count {
            let scalar = line[position]
            if scalar == "\\" {
                position += 2
                continue
            }
            if scalar == "=" || scalar == ":" {
                keyEnd = position
                valueStart = position + 1
                break
            }
            if isWhitespace(scalar) {
                keyEnd = position
                var next = position
                while next < line.count, isWhitespace(line[next]) { next += 1 }
                if next < line.count, line[next] == "=" || line[next] == ":" { next += 1 }
                valueStart = next
                break
            }
            position += 1
        }
        while valueStart < line.count, isWhitespace(line[valueStart]) { valueStart += 1 }
        let key = try unescape(line[0..<min(keyEnd, line.count)], line: number)
        let value = try unescape(line[min(valueStart, line.count)...], line: number)
        return (key, value)
    }

    static func unescape(_ scalars: ArraySlice<Unicode.Scalar>, line: Int) throws(ParseError) -> String {
        var result = String.UnicodeScalarView()
        var iterator = scalars.makeIterator()
        while let scalar = iterator.next() {
            guard scalar == "\\" else {
                result.append(scalar)
                continue
            }
            guard let escaped = iterator.next() else { break }
            switch escaped {
            case "t": result.append("\t")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "f": result.append("\u{0C}")
            case "u":
                var code = try readHexQuad(&iterator, line: line)
                // UTF-16 surrogate pairs arrive as two escapes; join them.
                if (0xD800...0xDBFF).contains(code) {
                    guard iterator.next() == "\\", iterator.next() == "u" else {
                        throw ParseError(line: line, reason: "unpaired UTF-16 surrogate in \\u escape")
                    }
                    let low = try readHexQuad(&iterator, line: line)
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw ParseError(line: line, reason: "unpaired UTF-16 surrogate in \\u escape")
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let decoded = Unicode.Scalar(code) else {
                    throw ParseError(line: line, reason: "\\u escape is not a character")
                }
                result.append(decoded)
            default:
                result.append(escaped)
            }
        }
        return String(result)
    }

    static func readHexQuad(
        _ iterator: inout IndexingIterator<ArraySlice<Unicode.Scalar>>, line: Int
    ) throws(ParseError) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = iterator.next(), let value = UInt32(String(digit), radix: 16) else {
                throw ParseError(line: line, reason: "malformed \\uXXXX escape")
            }
            code = code * 16 + value
        }
        return code
    }
}
