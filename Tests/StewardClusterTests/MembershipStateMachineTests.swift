import StewardCluster
import StewardModel
import Testing

@Suite("Membership state machine")
struct MembershipStateMachineTests {
    typealias Machine = MembershipStateMachine
    let start = ContinuousClock.now
    let limits = Machine.Limits(offlineAfter: .seconds(12), maxClockSkew: .seconds(30))

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }

    func beat(_ seconds: Double, _ change: (inout Machine.Heartbeat) -> Void = { _ in }) -> Machine.Heartbeat {
        var heartbeat = Machine.Heartbeat(sentAt: at(seconds))
        change(&heartbeat)
        return heartbeat
    }

    /// A machine that has come online with its first heartbeat at t=0.
    func online() -> Machine {
        var machine = Machine(limits: limits, startedAt: at(0))
        _ = machine.joinStepSucceeded(.catchingUp, at: at(0))
        return machine
    }

    /// Runs the four rejoin steps, answering each `runJoinStep` with success.
    func completeRejoin(_ machine: inout Machine, from actions: [Machine.Action], at time: Double) -> [MembershipState] {
        var seen: [MembershipState] = []
        var pending = actions
        while let step = pending.compactMap({ if case .runJoinStep(let step) = $0 { return step } else { return nil } }).first {
            seen.append(machine.state)
            pending = machine.joinStepSucceeded(step, at: at(time))
        }
        return seen
    }

    @Test("a starting node is joining (catching up, 4/4) and takes no work until its first heartbeat")
    func startup() {
        var machine = Machine(limits: limits, startedAt: at(0))
        #expect(machine.state == .joining(.catchingUp))
        #expect(machine.state.display == "joining: catching up (4/4)")
        #expect(!machine.acceptsWork(at: at(0)))
        #expect(machine.joinStepSucceeded(.catchingUp, at: at(0.5)) == [.recordState(.online), .resumeWork])
        #expect(machine.state == .online)
        #expect(machine.acceptsWork(at: at(1)))
    }

    @Test("heartbeats extend the lease from the moment they were sent")
    func leaseRenewal() {
        var machine = online()
        #expect(machine.heartbeatSucceeded(beat(3)).isEmpty)
        #expect(machine.acceptsWork(at: at(14.9)))
        #expect(!machine.acceptsWork(at: at(15)))
    }

    @Test("with no heartbeat for offline.after the node goes offline and stops work, at the instant the lease ends")
    func heartbeatLost() {
        var machine = online()
        #expect(machine.tick(at: at(11.9)).isEmpty)
        #expect(machine.heartbeatFailed(at: at(6)).isEmpty)
        let actions = machine.tick(at: at(12))
        #expect(machine.state == .offline(.heartbeatLost))
        #expect(actions.first.map { if case .stopWork = $0 { return true } else { return false } } == true)
        #expect(actions.contains(.recordState(.offline(.heartbeatLost))))
    }

    @Test("a paused node never acts as online: its lease is over before it can notice, then it rejoins through 1/4…4/4")
    func pausedNodeRejoins() {
        var machine = online()
        // Paused at t=1 for 30 s: the first thing after waking is a check of the lease.
        #expect(!machine.acceptsWork(at: at(31)))
        _ = machine.tick(at: at(31))
        #expect(machine.state == .offline(.heartbeatLost))
        let actions = machine.heartbeatSucceeded(beat(31) { $0.wasDeclaredOffline = true })
        #expect(machine.state == .joining(.checkingAppData))
        #expect(actions == [.recordState(.joining(.checkingAppData)), .runJoinStep(.checkingAppData)])
        let steps = completeRejoin(&machine, from: actions, at: 32)
        #expect(steps == [.joining(.checkingAppData), .joining(.checkingSchema), .joining(.registering), .joining(.catchingUp)])
        #expect(machine.state == .online)
        #expect(machine.acceptsWork(at: at(33)))
    }

    @Test("an online node that learns it was declared offline stops work first, then rejoins")
    func declaredOffline() {
        var machine = online()
        let actions = machine.heartbeatSucceeded(beat(5) { $0.wasDeclaredOffline = true })
        #expect(actions.first == .stopWork(reason: "the cluster declared this node offline; rejoining"))
        #expect(actions.last == .runJoinStep(.checkingAppData))
        #expect(!machine.acceptsWork(at: at(5)))
    }

    @Test("a failed rejoin step leaves the node offline; the next heartbeat retries from step 1")
    func failedRejoin() {
        var machine = online()
        _ = machine.tick(at: at(20))
        _ = machine.heartbeatSucceeded(beat(21))
        #expect(machine.joinStepFailed(.checkingAppData, reason: "appdata not writable") == [.recordState(.offline(.joinFailed("appdata not writable")))])
        #expect(machine.state == .offline(.joinFailed("appdata not writable")))
        #expect(machine.heartbeatSucceeded(beat(24)) == [.recordState(.joining(.checkingAppData)), .runJoinStep(.checkingAppData)])
    }

    @Test("a newer cluster version: upgrade required, final until restart")
    func upgradeRequired() {
        var machine = online()
        let actions = machine.heartbeatSucceeded(beat(3) { $0.newerClusterVersion = "0.2.0" })
        #expect(machine.state == .upgradeRequired(clusterVersion: "0.2.0"))
        #expect(machine.state.display == "offline (upgrade required)")
        #expect(actions.contains(.recordState(.upgradeRequired(clusterVersion: "0.2.0"))))
        #expect(!machine.acceptsWork(at: at(3)))
        #expect(machine.heartbeatSucceeded(beat(6)).isEmpty)
        #expect(machine.tick(at: at(60)).isEmpty)
        #expect(machine.state == .upgradeRequired(clusterVersion: "0.2.0"))
    }

    @Test("clock skew: a warning above 1 s, offline above the limit, and back through rejoin when it is fixed")
    func clockSkew() {
        var machine = online()
        #expect(machine.heartbeatSucceeded(beat(3) { $0.clockSkew = .seconds(2) }) == [.warnClockSkew(seconds: 2)])
        #expect(machine.state == .online)
        let skewed = machine.heartbeatSucceeded(beat(6) { $0.clockSkew = .seconds(-90) })
        #expect(machine.state == .offline(.clockSkew(seconds: 90)))
        #expect(skewed.contains(.stopWork(reason: "clock skew of 90s exceeds cluster.max.clock.skew")))
        #expect(machine.heartbeatSucceeded(beat(9) { $0.clockSkew = .seconds(-91) }) == [.warnClockSkew(seconds: 91)])
        let fixed = machine.heartbeatSucceeded(beat(12) { $0.clockSkew = .milliseconds(20) })
        #expect(fixed == [.recordState(.joining(.checkingAppData)), .runJoinStep(.checkingAppData)])
    }

    @Test("a state is described once, with its reason: the joining step is not repeated")
    func described() {
        #expect(MembershipState.joining(.checkingAppData).described == "joining: checking appdata (1/4)")
        #expect(MembershipState.offline(.clockSkew(seconds: 90)).described == "offline (clock differs from the database by 90s)")
        #expect(MembershipState.online.described == "online")
    }

    @Test("a measured skew is reported to the nearest second, as a person would read it")
    func clockSkewRounding() {
        var machine = online()
        #expect(machine.heartbeatSucceeded(beat(3) { $0.clockSkew = .milliseconds(1960) }) == [.warnClockSkew(seconds: 2)])
        #expect(machine.heartbeatSucceeded(beat(6) { $0.clockSkew = .milliseconds(-2_490) }) == [.warnClockSkew(seconds: 2)])
        #expect(machine.heartbeatSucceeded(beat(9) { $0.clockSkew = .milliseconds(1_400) }) == [.warnClockSkew(seconds: 1)])
    }

    @Test("drain: draining while work finishes, then offline (drained) until restarted")
    func drain() {
        var machine = online()
        let actions = machine.heartbeatSucceeded(beat(3) { $0.drainRequested = true })
        #expect(machine.state == .draining)
        #expect(actions == [.stopWork(reason: "drain requested"), .recordState(.draining)])
        #expect(machine.drainFinished() == [.recordState(.offline(.drained))])
        #expect(machine.state == .offline(.drained))
        #expect(machine.heartbeatSucceeded(beat(6)).isEmpty)
        #expect(machine.state == .offline(.drained))
        #expect(machine.heartbeatSucceeded(beat(9) { $0.decommissioned = true }).isEmpty)
        #expect(machine.state == .decommissioned)
    }

    @Test("shutdown from online stops work at once; from anything else it only records")
    func shutdown() {
        var machine = online()
        #expect(machine.shutdownRequested() == [.stopWork(reason: "shutting down"), .recordState(.stopping)])
        #expect(machine.state == .stopping)
        #expect(machine.shutdownRequested().isEmpty)
        var joining = Machine(limits: limits, startedAt: at(0))
        #expect(joining.shutdownRequested() == [.recordState(.stopping)])
    }

    /// Every state, every event: nothing the machine does leaves a node taking work outside `online`,
    /// and final states stay final whatever arrives.
    @Test("no event ever makes a non-online state accept work, and final states stay final")
    func exhaustive() {
        let events: [(String, (inout Machine) -> Void)] = [
            ("beat", { _ = $0.heartbeatSucceeded(beat(3)) }),
            ("beat declared", { _ = $0.heartbeatSucceeded(beat(3) { $0.wasDeclaredOffline = true }) }),
            ("beat drain", { _ = $0.heartbeatSucceeded(beat(3) { $0.drainRequested = true }) }),
            ("beat skew", { _ = $0.heartbeatSucceeded(beat(3) { $0.clockSkew = .seconds(45) }) }),
            ("beat newer", { _ = $0.heartbeatSucceeded(beat(3) { $0.newerClusterVersion = "9.0.0" }) }),
            ("beat decommissioned", { _ = $0.heartbeatSucceeded(beat(3) { $0.decommissioned = true }) }),
            ("beat superseded", { _ = $0.heartbeatSucceeded(beat(3) { $0.supersededBy = Incarnation(9) }) }),
            ("write refused", { _ = $0.writeRefused(decommissioned: false, current: Incarnation(9)) }),
            ("failed", { _ = $0.heartbeatFailed(at: at(30)) }),
            ("tick late", { _ = $0.tick(at: at(30)) }),
            ("drain finished", { _ = $0.drainFinished() }),
            ("shutdown", { _ = $0.shutdownRequested() }),
        ]
        for first in events {
            for second in events {
                var machine = online()
                first.1(&machine)
                let afterFirst = machine.state
                second.1(&machine)
                if afterFirst.isFinal && afterFirst != .offline(.drained) {
                    // A refused write fences even a final state: the process may never write again.
                    let fenced = machine.state.isFenced && !afterFirst.isFenced && second.0 == "write refused"
                    #expect(machine.state == afterFirst || machine.state == .stopping || fenced, "\(first.0) then \(second.0)")
                }
                if machine.state != .online {
                    #expect(!machine.acceptsWork(at: at(3)), "\(first.0) then \(second.0): \(machine.state)")
                }
            }
        }
    }

    @Test("a heartbeat that finds a later incarnation fences this process: it stops work and writes nothing more")
    func superseded() {
        var machine = online()
        let actions = machine.heartbeatSucceeded(beat(3) { $0.supersededBy = Incarnation(8) })
        #expect(machine.state == .superseded(by: Incarnation(8)))
        #expect(actions.count == 1)
        #expect(actions.first.map { if case .stopWork = $0 { return true } else { return false } } == true)
        #expect(!actions.contains { if case .recordState = $0 { return true } else { return false } }, "a fenced process never writes its row")
        #expect(!machine.acceptsWork(at: at(3)))
        #expect(machine.heartbeatSucceeded(beat(6)).isEmpty)
        #expect(machine.heartbeatSucceeded(beat(9) { $0.wasDeclaredOffline = true }).isEmpty, "it does not rejoin either")
        #expect(machine.state.display == "offline (replaced)")
    }

    @Test("a refused state write fences the process; decommissioned when the row says so")
    func writeRefused() {
        var machine = online()
        let actions = machine.writeRefused(decommissioned: true, current: Incarnation(12))
        #expect(machine.state == .decommissioned)
        #expect(actions == [.stopWork(reason: "decommissioned")])
        #expect(machine.writeRefused(decommissioned: false, current: Incarnation(13)).isEmpty)
        #expect(machine.state == .decommissioned)
    }

    @Test("new limits from the cluster settings take effect on the running lease")
    func limitsChange() {
        var machine = online()
        machine.limitsChanged(.init(offlineAfter: .seconds(6), maxClockSkew: .seconds(30)))
        _ = machine.heartbeatSucceeded(beat(3))
        #expect(machine.acceptsWork(at: at(8.9)))
        #expect(!machine.acceptsWork(at: at(9)))
    }
}
