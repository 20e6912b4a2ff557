import Foundation
import Logging
import ServiceLifecycle
import StewardCluster
import StewardDatabase
import StewardModel

/// The node's heartbeat: every `cluster.heartbeat.interval`, `last_seen = now()` on database time,
/// the clock compared with the database's, and what the cluster thinks of this node fed to the
/// membership state machine. It also marks nodes that have gone quiet as offline. The database
/// being away is logged and retried; the node's lease decides when it stops taking work.
struct NodePresenceService: Service {
    let runtime: NodeRuntime
    let interval: Duration

    var driver: MembershipDriver { MembershipDriver(runtime: runtime) }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                failing = await beat(failing: failing)
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One heartbeat; returns whether it failed (to log a failure once, and its end once).
    func beat(failing: Bool) async -> Bool {
        await driver.perform(runtime.membershipEvent { $0.tick(at: .now) })
        let sentAt = ContinuousClock.now
        let wallBefore = Date()
        let client = runtime.database, nodeID = runtime.nodeID
        let offlineAfter = runtime.configuration.cluster.nodeOfflineAfter
        let nodes = NodeRepository(logger: runtime.logger)
        let figures = NodeFigures(clockSkewMilliseconds: Int(runtime.clockSkew.inMilliseconds),
                                  requestsInFlight: runtime.requestsInFlight, agentsConnected: runtime.agents.count)
        do {
            let row = try await withDeadline(interval, "heartbeat") {
                try await nodes.heartbeat(nodeID, offlineAfter: offlineAfter, figures: figures, on: client)
            }
            if failing { runtime.logger.notice("heartbeat restored") }
            await react(to: row, sentAt: sentAt, wallBefore: wallBefore, wallAfter: Date())
            let name = runtime.nodeName
            let silent = try await withDeadline(interval, "offline check") {
                try await nodes.markSilentNodesOffline(observer: name, offlineAfter: offlineAfter, on: client)
            }
            for node in silent { runtime.logger.warning("node \(node) is offline: no heartbeat for \(offlineAfter)") }
            return false
        } catch {
            if !failing { runtime.logger.warning("heartbeat failed: \(DatabaseError.readable(error))") }
            await driver.perform(runtime.membershipEvent { $0.heartbeatFailed(at: .now) })
            return true
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
            heartbeat.decommissioned = row.previousState == "decommissioned"
            heartbeat.newerClusterVersion = driver.newerClusterVersion(row)
        } else {
            heartbeat.wasDeclaredOffline = true  // the row is gone: join again
        }
        await driver.perform(runtime.membershipEvent { $0.heartbeatSucceeded(heartbeat) })
        switch runtime.state {
        case .joining(.catchingUp):
            // A started node's first heartbeat is its catching-up step.
            await driver.perform(runtime.membershipEvent { $0.joinStepSucceeded(.catchingUp, at: .now) })
        case .draining:
            // No pooled work yet: agents were sent elsewhere when work stopped, so the drain is done.
            await driver.perform(runtime.membershipEvent { $0.drainFinished() })
        default:
            break
        }
    }
}

/// Placed last in the service group, so it is the first to hear of a graceful shutdown: the node
/// stops reporting itself ready and tells the cluster it is draining, waits so that load balancers
/// notice, and only then lets the listeners close.
struct ShutdownSentinel: Service {
    let runtime: NodeRuntime
    let drainDelay: Duration

    func run() async throws {
        try await gracefulShutdown()
        runtime.logger.notice("shutting down: draining for \(drainDelay), then finishing requests in flight")
        await MembershipDriver(runtime: runtime).perform(runtime.membershipEvent { $0.shutdownRequested() })
        if drainDelay > .zero { try? await Task.sleep(for: drainDelay) }
    }
}
