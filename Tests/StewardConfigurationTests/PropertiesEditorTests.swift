import Foundation
@testable import StewardConfiguration
import Testing

@Suite("PropertiesEditor changes one key and keeps every other byte")
struct PropertiesEditorTests {
    func set(_ text: String, _ value: String, key: String = "server.appdata.dir") throws -> (String, PropertiesEditor.Edit) {
        let edit = try PropertiesEditor.set(key, to: value, in: Array(text.utf8))
        return (String(decoding: edit.result, as: UTF8.self), edit)
    }

    /// What Java (and PropertiesParser) reads back for the key.
    func value(_ text: String, key: String = "server.appdata.dir") throws -> String? {
        try PropertiesParser.parse(text).last { $0.key == key }?.value
    }

    @Test("replaces the value on its line; comments, blank lines, other keys and order stay byte for byte")
    func replacesInPlace() throws {
        let original = "# Steward node\n\n! old style comment\nserver.node.name = a\nserver.appdata.dir = /old/appdata\ndatabase.url=postgres://db/steward\n"
        let (text, edit) = try set(original, "/srv/appdata")
        #expect(text == "# Steward node\n\n! old style comment\nserver.node.name = a\nserver.appdata.dir = /srv/appdata\ndatabase.url=postgres://db/steward\n")
        #expect(edit.replacedLines == 5...5)
        #expect(edit.removedLines == ["server.appdata.dir = /old/appdata"])
        #expect(edit.addedLine == "server.appdata.dir = /srv/appdata")
        #expect(edit.oldValue == "/old/appdata")
    }

    @Test("a value spread over continuation lines is replaced, exactly those lines")
    func replacesContinuation() throws {
        let original = "a=1\nserver.appdata.dir=/very/\\\n    long/\\\n    path\nb=2\\\n  continued\n"
        let (text, edit) = try set(original, "/new")
        #expect(text == "a=1\nserver.appdata.dir=/new\nb=2\\\n  continued\n")
        #expect(edit.replacedLines == 2...4)
        #expect(edit.oldValue == "/very/long/path")
        #expect(try value(text) == "/new")
        #expect(try value(text, key: "b") == "2continued")
    }

    @Test("an absent key is appended, after a line ending if the last line has none")
    func appendsWhenAbsent() throws {
        let (withNewline, edit) = try set("a=1\n", "/new")
        #expect(withNewline == "a=1\nserver.appdata.dir=/new\n")
        #expect(edit.replacedLines == nil)
        let (withoutNewline, _) = try set("a=1", "/new")
        #expect(withoutNewline == "a=1\nserver.appdata.dir=/new\n")
        let (empty, _) = try set("", "/new")
        #expect(empty == "server.appdata.dir=/new\n")
    }

    @Test("CRLF and lone CR line endings are kept, and the new line gets the file's ending")
    func keepsLineEndings() throws {
        let (crlf, _) = try set("# c\r\nserver.appdata.dir=/old\r\nx=y\r\n", "/new")
        #expect(crlf == "# c\r\nserver.appdata.dir=/new\r\nx=y\r\n")
        let (cr, _) = try set("a=1\rb=2\r", "/new")
        #expect(cr == "a=1\rb=2\rserver.appdata.dir=/new\r")
    }

    @Test("values are escaped: backslashes, a leading space, non-ASCII as \\u escapes", arguments: [
        "/mnt/shared appdata/steward",
        "/mnt/données/appdata",
        "C:\\steward\\appdata",
        " leading space",
        "/emoji/🚀",
        "/tab\there",
    ])
    func escapesValues(_ path: String) throws {
        let (text, _) = try set("server.appdata.dir=/old\n", path)
        #expect(try value(text) == path)
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
    }

    @Test("separators and spacing before the value are kept: ':' and whitespace forms")
    func keepsSeparators() throws {
        let (colon, _) = try set("  server.appdata.dir:/old\n", "/new")
        #expect(colon == "  server.appdata.dir:/new\n")
        let (spaced, _) = try set("server.appdata.dir\t/old\n", "/new")
        #expect(spaced == "server.appdata.dir\t/new\n")
    }

    @Test("a key given twice: the last one (the one in effect) is changed, the first left alone")
    func duplicateKey() throws {
        let (text, edit) = try set("server.appdata.dir=/first\nserver.appdata.dir=/second\n", "/new")
        #expect(text == "server.appdata.dir=/first\nserver.appdata.dir=/new\n")
        #expect(edit.replacedLines == 2...2)
    }

    @Test("commented-out keys are not touched")
    func ignoresComments() throws {
        let (text, _) = try set("#server.appdata.dir=/commented\nserver.appdata.dir=/old\n", "/new")
        #expect(text == "#server.appdata.dir=/commented\nserver.appdata.dir=/new\n")
    }

    @Test("the same value again changes nothing")
    func unchanged() throws {
        let original = "server.appdata.dir = /new\n"
        let (text, edit) = try set(original, "/new")
        #expect(edit.isUnchanged)
        #expect(text == original)
    }

    @Test("an ISO-8859-1 file keeps its bytes outside the edited line")
    func latin1File() throws {
        let original: [UInt8] = Array("# caf".utf8) + [0xE9] + Array("\nserver.appdata.dir=/old\n".utf8)
        let edit = try PropertiesEditor.set("server.appdata.dir", to: "/new", in: original)
        #expect(edit.result == Array("# caf".utf8) + [0xE9] + Array("\nserver.appdata.dir=/new\n".utf8))
    }

    @Test("a key that needs escaping is written escaped when appended")
    func escapesKeys() throws {
        let (text, _) = try set("", "v", key: "odd key=x")
        #expect(text == "odd\\ key\\=x=v\n")
        #expect(try value(text, key: "odd key=x") == "v")
    }

    @Test("appended after a last entry that ends in a continuation: a blank line first, so the key is not swallowed", arguments: [
        ("a=1\\\n", "a=1\\\n\nserver.appdata.dir=/new\n"),
        ("a=1\\", "a=1\\\n\nserver.appdata.dir=/new\n"),
        ("a=1\\\\\\\n", "a=1\\\\\\\n\nserver.appdata.dir=/new\n"),
        ("a=1\\\r\n  more\\\r\n", "a=1\\\r\n  more\\\r\n\r\nserver.appdata.dir=/new\r\n"),
        // An even number of backslashes is an escaped backslash, not a continuation.
        ("a=1\\\\\n", "a=1\\\\\nserver.appdata.dir=/new\n"),
        // A comment never continues.
        ("a=1\n# note \\\n", "a=1\n# note \\\nserver.appdata.dir=/new\n"),
    ])
    func appendsAfterContinuation(_ original: String, _ expected: String) throws {
        let before = try PropertiesParser.parse(original)
        let (text, edit) = try set(original, "/new")
        #expect(text == expected)
        #expect(edit.replacedLines == nil)
        #expect(try value(text) == "/new")
        let after = try PropertiesParser.parse(text).filter { $0.key != "server.appdata.dir" }
        #expect(after.map(\.key) == before.map(\.key))
        #expect(after.map(\.value) == before.map(\.value))
    }

    @Test("a UTF-8 byte order mark stays in front, and the first line's key is read without it")
    func byteOrderMark() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let replaced = try PropertiesEditor.set("server.appdata.dir", to: "/new", in: bom + Array("  server.appdata.dir = /old\nb=2\n".utf8))
        #expect(replaced.result == bom + Array("  server.appdata.dir = /new\nb=2\n".utf8))
        #expect(replaced.oldValue == "/old")
        #expect(replaced.replacedLines == 1...1)
        let appended = try PropertiesEditor.set("server.appdata.dir", to: "/new", in: bom)
        #expect(appended.result == bom + Array("server.appdata.dir=/new\n".utf8))
        let afterContinuation = try PropertiesEditor.set("server.appdata.dir", to: "/new", in: bom + Array("a=1\\".utf8))
        #expect(afterContinuation.result == bom + Array("a=1\\\n\nserver.appdata.dir=/new\n".utf8))
        // As the node reads it.
        let loaded = try PropertiesFile(path: "x", text: try #require(String(data: Data(replaced.result), encoding: .utf8)))
        #expect(loaded["server.appdata.dir"] == "/new")
        #expect(loaded["b"] == "2")
        let unchanged = try PropertiesEditor.set("server.appdata.dir", to: "/new", in: replaced.result)
        #expect(unchanged.isUnchanged)
        #expect(unchanged.result == replaced.result)
    }

    @Test("the safety net: a result that reads differently from the original with one key changed is refused, naming keys and never values")
    func refusesAnEditThatReadsDifferently() throws {
        let original = try PropertiesParser.parse("a=secret\\\n")
        func check(_ result: String, oldValue: String? = nil) throws {
            let edit = PropertiesEditor.Edit(key: "server.appdata.dir", oldValue: oldValue, newValue: "/new", replacedLines: nil,
                                             removedLines: [], addedLine: "", result: Array(result.utf8))
            try PropertiesEditor.checkReadsBack(edit, original: original)
        }
        // What appending used to produce: the new line continued the value of a.
        let swallowed = #expect(throws: PropertiesEditor.EditError.self) { try check("a=secret\\\nserver.appdata.dir=/new\n") }
        #expect(swallowed?.kind == .unsafeEdit)
        #expect(swallowed?.reason.contains("a would get another value") == true)
        #expect(swallowed?.reason.contains("nothing was written") == true)
        #expect(swallowed?.description.contains("secret") == false)
        #expect(throws: PropertiesEditor.EditError.self) { try check("server.appdata.dir=/new\n") }
        #expect(throws: PropertiesEditor.EditError.self) { try check("a=secret\nserver.appdata.dir=/other\n") }
        #expect(throws: PropertiesEditor.EditError.self) { try check("a=secret\nb=1\nserver.appdata.dir=/new\n") }
        try check("a=secret\n\nserver.appdata.dir=/new\n")
    }
}
