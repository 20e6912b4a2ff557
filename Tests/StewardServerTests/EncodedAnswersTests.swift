import NIOCore
@testable import StewardServer
import Synchronization
import Testing

@Suite("Encoded answers: one encoding per distinct value")
struct EncodedAnswersTests {
    final class Encodings: Sendable {
        let count = Mutex(0)
        func encode(_ value: String) -> ByteBuffer {
            count.withLock { $0 += 1 }
            return ByteBuffer(string: "\"\(value)\"")
        }
    }

    @Test("the same value is encoded once; a changed value is encoded afresh, never answered from the old body")
    func perValue() throws {
        let answers = EncodedAnswers<String>(), encodings = Encodings()
        #expect(try answers.body(for: "admin:admin", encode: encodings.encode) == ByteBuffer(string: "\"admin:admin\""))
        #expect(try answers.body(for: "admin:admin", encode: encodings.encode) == ByteBuffer(string: "\"admin:admin\""))
        #expect(encodings.count.withLock { $0 } == 1)
        #expect(try answers.body(for: "admin:viewer", encode: encodings.encode) == ByteBuffer(string: "\"admin:viewer\""))
        #expect(encodings.count.withLock { $0 } == 2)
    }

    @Test("bounded: full, it starts over; cleared, it holds nothing")
    func bounded() throws {
        let answers = EncodedAnswers<Int>(capacity: 3)
        for value in 0..<3 { _ = try answers.body(for: value) { ByteBuffer(string: "\($0)") } }
        _ = try answers.body(for: 3) { ByteBuffer(string: "\($0)") }
        #expect(answers.clear() == 1, "the fourth value emptied the full cache first")
        #expect(answers.clear() == 0)
    }
}
