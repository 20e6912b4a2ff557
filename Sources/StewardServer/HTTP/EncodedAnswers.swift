import NIOCore
import Synchronization

/// Response bodies by the value they encode, for answers that clients poll and that rarely change
/// (every open console asks `auth/me`): a repeated answer costs a hash lookup, not a JSON encoding.
/// Keyed by the whole value, so a changed answer is encoded afresh; bounded, emptied when full.
final class EncodedAnswers<Value: Hashable & Sendable>: Sendable {
    private let bodies = Mutex<[Value: ByteBuffer]>([:])
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func body(for value: Value, encode: (Value) throws -> ByteBuffer) throws -> ByteBuffer {
        if let body = bodies.withLock({ $0[value] }) { return body }
        let body = try encode(value)
        bodies.withLock { bodies in
            if bodies.count >= capacity { bodies.removeAll(keepingCapacity: true) }
            bodies[value] = body
        }
        return body
    }

    /// Forgets every body (the cache-clearing job); returns how many it held.
    @discardableResult
    func clear() -> Int { bodies.withLock { bodies in defer { bodies.removeAll() }; return bodies.count } }
}
