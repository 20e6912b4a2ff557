import StewardConfiguration
import Testing

/// Expected values below were produced by Java 17's `Properties.load(Reader)` on the same text,
/// so this parser is checked against the format's reference implementation.
@Suite("Java .properties parsing")
struct PropertiesParserTests {
    static let tricky = #"""
        plain=value
        spaced = value with spaces
        colon:value
          indented.key   value after spaces
        tab	value
        # comment = not a key
           ! also a comment
        empty=
        bare
        trailing=keeps trailing   
        continued = first \
            second \
        	third
        double.backslash=ends with one\\
        escaped\=key\:name\ here = v
        unicode=caf\u00e9 \u0041
        emoji=\uD83D\uDE00
        escapes=tab\there\nnewline\\back
        key\ with\ spaces=x
        sep.twice = = value
        sep.colon.then.equals : = v
        comment.backslash=1
        # comment ending with backslash \
        after.comment=2
        dup=first
        dup=second
        only.continuation=\

        """# + "crlf=a\r\ncr.only=b\rlast.at.eof=end \\"

    static let javaResult: [String: String] = [
        "after.comment": "2",
        "bare": "",
        "colon": "value",
        "comment.backslash": "1",
        "continued": "first second third",
        "cr.only": "b",
        "double.backslash": "ends with one\\",
        "dup": "second",
        "emoji": "😀",
        "empty": "",
        "escaped=key:name here": "v",
        "escapes": "tab\there\nnewline\\back",
        "indented.key": "value after spaces",
        "key with spaces": "x",
        "last.at.eof": "end ",
        "only.continuation": "crlf=a",
        "plain": "value",
        "sep.colon.then.equals": "= v",
        "sep.twice": "= value",
        "spaced": "value with spaces",
        "tab": "value",
        "trailing": "keeps trailing   ",
        "unicode": "café A",
    ]

    @Test("agrees with java.util.Properties on every tricky input")
    func agreesWithJava() throws {
        let file = try PropertiesFile(path: "cases.properties", text: Self.tricky)
        var result: [String: String] = [:]
        for entry in file.entries { result[entry.key] = entry.value }
        #expect(result == Self.javaResult)
    }

    @Test("entries know the lines they span, continuation lines included")
    func lineNumbers() throws {
        let entries = try PropertiesParser.parse("# head\n\na=1\nb = x \\\n   y \\\n   z\nc=3\n")
        #expect(entries.map(\.key) == ["a", "b", "c"])
        #expect(entries.map(\.firstLine) == [3, 4, 7])
        #expect(entries.map(\.lastLine) == [3, 6, 7])
    }

    @Test("a later duplicate wins, and the duplicate is reported with both lines")
    func duplicates() throws {
        let file = try PropertiesFile(path: "x.properties", text: "k=1\nother=2\nk=3\n")
        #expect(file["k"] == "3")
        #expect(file.duplicateWarnings.map(\.description) == ["x.properties:3: k is also set on line 1; this later value wins"])
    }

    @Test("malformed unicode escapes are errors that name the line", arguments: [
        ("a=1\nb=\\u12G4\n", 2),
        ("x=\\u12", 1),
        ("first=ok\n\nsecond=\\uD83Dplain\n", 3),
    ])
    func malformedEscapes(text: String, line: Int) {
        #expect(throws: PropertiesParser.ParseError.self) { try PropertiesParser.parse(text) }
        do {
            _ = try PropertiesParser.parse(text)
        } catch {
            #expect(error.line == line)
        }
    }

    @Test("an empty file and a file of comments have no entries")
    func emptyInputs() throws {
        #expect(try PropertiesParser.parse("").isEmpty)
        #expect(try PropertiesParser.parse("# only\n! comments\n   \n").isEmpty)
    }
}
