import StewardCluster
import StewardModel
import Testing

/// The work permit as the job pool and the agent channel see it, driven by a manual clock: time
/// moves only when the test says so, and nothing here sleeps.
@Suite("Work permit: granted online inside the lease, revoked on every way out, with the incarnation")
struct WorkPermitTests {
    let clock = ManualNodeClock()

    func membership(offlineAfter: Duration = .seconds(12)) -> NodeMembership {
        NodeMembership(nodeID: NodeID(), nodeName: "node-a", clusterID: ClusterID(), incarnation: Incarnation(41),
                       limits: .init(offlineAfter: offlineAfter, maxClockSkew: .seconds(30)), clock: clock)
    }

    func beat(_ membership: NodeMembership, _ change: (inout MembershipStateMachine.Heartbeat) -> Void = { _ in }) {
        var heartbeat = MembershipStateMachine.Heartbeat(sentAt: clock.now)
        change(&heartbeat)
        membership.handle { machine, _ in machine.heartbeatSucceeded(heartbeat) }
    }

    func online(_ membership: NodeMembership) {
        membership.handle { machine, now in machine.joinStepSucceeded(.catchingUp, at: now) }
    }

    /// The next `count` updates of a permit stream (the first is the state at subscription).
    func updates(_ stream: AsyncStream<WorkPermitUpdate>, count: Int) async -> [WorkPermitUpdate] {
        var seen: [WorkPermitUpdate] = []
        for await update in stream {
            seen.append(update)
            if seen.count == count { break }
        }
        return seen
    }

    @Test("no permit while joining; once online it carries this process's incarnation and the lease's end")
    func granted() async {
        let node = membership()
        let stream = node.permitUpdates()
        #expect(node.permit() == nil)
        online(node)
        let permit = try? #require(node.permit())
        #expect(permit?.incarnation == Incarnation(41))
        #expect(permit?.validUntil == clock.now + .seconds(12))
        let seen = await updates(stream, count: 2)
        #expect(seen.first == .revoked(reason: "joining"))
        #expect(seen.last?.permit?.incarnation == Incarnation(41))
    }

    @Test("the permit lapses at the lease's end by the clock alone, before any tick notices (a paused process wakes without one)")
    func lapsesWithTheLease() {
        let node = membership()
        online(node)
        clock.advance(by: .seconds(11))
        #expect(node.permit() != nil)
        beat(node)  // renewed from now: 11 s + 12 s
        clock.advance(by: .seconds(11))
        #expect(node.permit() != nil)
        clock.advance(by: .seconds(1))
        #expect(node.permit() == nil, "22 s after the start, 11 s after the last heartbeat was sent, the lease (12 s) has ended")
        #expect(node.state == .online, "the machine has not been told yet")
    }

    @Test("each way out revokes the permit with its reason, on the stream", arguments: [
        "drain", "superseded", "decommissioned", "lease", "upgrade",
    ])
    func revoked(way: String) async {
        let node = membership()
        online(node)
        let stream = node.permitUpdates()
        switch way {
        case "drain": beat(node) { $0.drainRequested = true }
        case "superseded": beat(node) { $0.supersededBy = Incarnation(42) }
        case "decommissioned": beat(node) { $0.decommissioned = true }
        case "upgrade": beat(node) { $0.newerClusterVersion = "9.0.0" }
        default:
            clock.advance(by: .seconds(12))
            node.handle { machine, now in machine.tick(at: now) }
        }
        #expect(node.permit() == nil)
        let seen = await updates(stream, count: 2)
        #expect(seen.first?.permit != nil, "the subscriber first hears the current grant")
        guard case .revoked(let reason)? = seen.last else {
            Issue.record("no revocation after \(way): \(seen)")
            return
        }
        let expected = ["drain": "drain requested", "superseded": "incarnation 42", "decommissioned": "decommissioned",
                        "lease": "no successful heartbeat", "upgrade": "upgrade required"][way] ?? "?"
        #expect(reason.contains(expected), "\(reason)")
    }

    @Test("a refused write (stale incarnation) revokes the permit for good: later heartbeats grant nothing")
    func fencedForGood() {
        let node = membership()
        online(node)
        node.handle { machine, _ in machine.writeRefused(decommissioned: false, current: Incarnation(50)) }
        #expect(node.permit() == nil)
        beat(node)
        beat(node) { $0.wasDeclaredOffline = true }
        #expect(node.permit() == nil)
        #expect(node.state == .superseded(by: Incarnation(50)))
    }

    @Test("a lapsed node that rejoins gets a new grant, still as the same incarnation")
    func rejoinGrantsAgain() async {
        let node = membership()
        online(node)
        clock.advance(by: .seconds(13))
        node.handle { machine, now in machine.tick(at: now) }
        let stream = node.permitUpdates()
        beat(node) { $0.wasDeclaredOffline = true }
        for step in MembershipState.JoinStep.allCases {
            node.handle { machine, now in machine.joinStepSucceeded(step, at: now) }
        }
        let seen = await updates(stream, count: 2)
        #expect(seen.last?.permit?.incarnation == Incarnation(41))
        #expect(node.permit()?.validUntil == clock.now + .seconds(12))
    }

    @Test("the manual clock wakes sleepers only when moved past their time")
    func manualClock() async throws {
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.sleeperCount == 0)
    }
}
