import Foundation
import StewardModel
@testable import StewardServer
import Synchronization
import Testing

@Suite("Node list snapshot: one read shared, fresh for a quarter second, a failure never kept")
struct NodeStatusSnapshotTests {
    final class Reads: Sendable {
        let count = Atomic<Int>(0)
        let fail = Atomic<Bool>(false)
    }
    struct Down: Error {}

    @Test("requests within the freshness share one read; a failed read is not served again")
    func sharing() async throws {
        let snapshot = NodeStatusSnapshot(freshness: .seconds(60))
        let reads = Reads()
        let read: @Sendable () async throws -> [NodeStatus] = {
            reads.count.add(1, ordering: .relaxed)
            if reads.fail.load(ordering: .relaxed) { throw Down() }
            return []
        }
        reads.fail.store(true, ordering: .relaxed)
        await #expect(throws: Down.self) { _ = try await snapshot.statuses(read) }
        reads.fail.store(false, ordering: .relaxed)
        _ = try await snapshot.statuses(read)
        _ = try await snapshot.statuses(read)
        #expect(reads.count.load(ordering: .relaxed) == 2, "the failure was not kept, and the success was shared")
        snapshot.invalidate()
        _ = try await snapshot.statuses(read)
        #expect(reads.count.load(ordering: .relaxed) == 3)
    }

    @Test("a snapshot ages however often it is asked for: polling faster than the freshness still sees new reads")
    func ages() async throws {
        let snapshot = NodeStatusSnapshot(freshness: .milliseconds(100))
        let reads = Reads()
        let read: @Sendable () async throws -> [NodeStatus] = {
            reads.count.add(1, ordering: .relaxed)
            return []
        }
        let started = ContinuousClock.now
        _ = try await snapshot.statuses(read)
        // Asked again and again, faster than the freshness, until three times it has passed.
        while ContinuousClock.now - started < .milliseconds(300) {
            _ = try await snapshot.statuses(read)
            try await Task.sleep(for: .milliseconds(10))
        }
        _ = try await snapshot.statuses(read)
        #expect(reads.count.load(ordering: .relaxed) >= 2, "the first answer, 300 ms old, was still being served")
    }
}
