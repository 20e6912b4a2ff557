import Foundation
import Logging
import ServiceLifecycle
import StewardConfiguration
import StewardDatabase
import StewardModel

/// The node's heartbeat, on its own connection: every `cluster.heartbeat.interval` (the cluster's,
/// read live), `last_seen = now()` on database time for this incarnation, the clock compared with
/// the database's, the settings reloaded when they changed, and what the cluster thinks of this
/// node fed to the membership state machine. It also marks nodes that have gone quiet as offline.
/// The database being away is logged and retried; the node's lease decides when it stops taking work.
public struct NodePresenceService: Service {
    let runtime: MembershipRuntime

    public init(runtime: MembershipRuntime) { self.runtime = runtime }

    var driver: MembershipDriver { MembershipDriver(runtime: runtime) }
    var membership: NodeMembership { runtime.membership }

    public func run() async throws {
        // At high priority: in a reconnect storm thousands of default-priority jobs (handshakes,
        // admissions) wait for the same few threads, and a heartbeat queued behind them misses the lease.
        let beating = Task(priority: .high) {
            await cancelWhenGracefulShutdown {
                var failing = false
                while !Task.isCancelled {
                    failing = await beat(failing: failing)
                    try? await membership.clock.sleep(for: Self.jittered(runtime.settings.current.heartbeatInterval))
                }
            }
        }
        await withTaskCancellationHandler { await beating.value } onCancel: { beating.cancel() }
    }

    /// Up to a tenth early, never late: nodes that started together drift apart instead of beating in step.
    static func jittered(_ interval: Duration) -> Duration {
        interval - .milliseconds(Int64.random(in: 0...max(0, interval.inMilliseconds / 10)))
    }

    /// One heartbeat; returns whether it failed (to log a failure once, and its end once).
    public func beat(failing: Bool) async -> Bool {
        await driver.perform(membership.handle { machine, now in machine.tick(at: now) })
        if membership.state.isFenced { return failing }
        let sentAt = membership.clock.now
        let wallBefore = Date()
        let nodes = runtime.nodes, nodeID = membership.nodeID, incarnation = membership.incarnation
        let interval = runtime.settings.current.heartbeatInterval
        let published = runtime.figures()
        let figures = NodeFigures(clockSkewMilliseconds: Int(membership.clockSkew.inMilliseconds),
                                  requestsInFlight: published.requestsInFlight, agentsConnected: published.agentsConnected)
        do {
            let row = try await runtime.connection.run(max(interval, .seconds(1)), "heartbeat") { connection in
                try await nodes.heartbeat(nodeID, incarnation: incarnation, figures: figures, on: connection)
            }
            runtime.heartbeatObserved(membership.clock.now - sentAt)
            if failing { runtime.logger.notice("heartbeat restored") }
            membership.heartbeatAnswered(newerClusterVersion: row.flatMap(MembershipDriver.newerClusterVersion))
            if let row, row.settingsVersion != runtime.settings.version { await reloadSettings() }
            await react(to: row, sentAt: sentAt, wallBefore: wallBefore, wallAfter: Date())
            let name = membership.nodeName
            let silent = try await runtime.connection.run(max(interval, .seconds(1)), "offline check") { connection in
                try await nodes.markSilentNodesOffline(observer: name, on: connection)
            }
            for node in silent { runtime.logger.warning("node \(node) is offline: no heartbeat for \(runtime.settings.current.nodeOfflineAfter)") }
            return false
        } catch {
            if !failing { runtime.logger.warning("heartbeat failed: \(DatabaseError.readable(error))") }
            await driver.perform(membership.handle { machine, now in machine.heartbeatFailed(at: now) })
            return true
        }
    }

    func reloadSettings() async {
        let logger = runtime.logger
        do {
            let (settings, version) = try await runtime.connection.run(.seconds(5), "settings reload") { connection in
                try await SettingsRepository(logger: logger).load(on: connection)
            }
            let changed = runtime.settings.update(settings, version: version)
            guard !changed.isEmpty else { return }
            membership.handle { machine, _ in
                machine.limitsChanged(.init(settings))
                return []
            }
            let text = changed.map { "\($0)=\(settings.values[$0] ?? "?")" }.joined(separator: ", ")
            logger.notice("cluster settings changed: \(text)")
        } catch {
            logger.warning("could not reload the cluster settings; keeping the previous ones: \(DatabaseError.readable(error))")
        }
    }

    func react(to row: HeartbeatRow?, sentAt: ContinuousClock.Instant, wallBefore: Date, wallAfter: Date) async {
        var heartbeat = MembershipStateMachine.Heartbeat(sentAt: sentAt)
        if let row {
            // The database's now() was taken between our two readings of the wall clock.
            let midpoint = wallBefore.addingTimeInterval(wallAfter.timeIntervalSince(wallBefore) / 2)
            heartbeat.clockSkew = .milliseconds(Int64(midpoint.timeIntervalSince(row.databaseTime) * 1000))
            heartbeat.wasDeclaredOffline = row.wasDeclaredOffline
            heartbeat.drainRequested = row.drainRequested
            heartbeat.decommissioned = row.previousState == .decommissioned
            heartbeat.newerClusterVersion = MembershipDriver.newerClusterVersion(row)
            if row.currentIncarnation != membership.incarnation, !heartbeat.decommissioned {
                heartbeat.supersededBy = row.currentIncarnation
            }
            if heartbeat.decommissioned || heartbeat.supersededBy != nil {
                runtime.logger.error("heartbeat refused: \(IncarnationFenced(mine: membership.incarnation, current: row.currentIncarnation, rowState: row.previousState)); this process takes no more work. Restart the node to rejoin (a decommissioned node needs --rejoin)")
            }
        } else {
            heartbeat.wasDeclaredOffline = true  // the row is gone: join again
        }
        await driver.perform(membership.handle { machine, _ in machine.heartbeatSucceeded(heartbeat) })
        switch membership.state {
        case .joining(.catchingUp):
            // A started node's first heartbeat is its catching-up step.
            await driver.perform(membership.handle { machine, now in machine.joinStepSucceeded(.catchingUp, at: now) })
        case .draining:
            // The permit is revoked, so nothing new starts; the drain is done when running jobs have ended.
            let working = runtime.workInProgress()
            if working == 0 {
                await driver.perform(membership.handle { machine, _ in machine.drainFinished() })
            } else {
                runtime.logger.info("draining: waiting for \(working) running jobs")
            }
        default:
            break
        }
    }
}

/// Placed last in the service group, so it is the first to hear of a graceful shutdown: the node
/// stops reporting itself ready and tells the cluster it is draining, waits so that load balancers
/// notice, and only then lets the listeners close.
public struct ShutdownSentinel: Service {
    let runtime: MembershipRuntime
    let drainDelay: Duration

    public init(runtime: MembershipRuntime, drainDelay: Duration) {
        self.runtime = runtime
        self.drainDelay = drainDelay
    }

    public func run() async throws {
        try await gracefulShutdown()
        runtime.logger.notice("shutting down: draining for \(drainDelay), then finishing requests in flight")
        await MembershipDriver(runtime: runtime).perform(runtime.membership.handle { machine, _ in machine.shutdownRequested() })
        if drainDelay > .zero { try? await runtime.membership.clock.sleep(for: drainDelay) }
    }
}
