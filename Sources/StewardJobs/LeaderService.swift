import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import StewardCluster
import StewardDatabase
import StewardModel
import Synchronization

/// Every online node runs this; one of them leads. Each heartbeat interval a candidate renews its
/// lease or takes an expired one (a new term); the leader rescues stranded jobs and fires due
/// schedule slots, each under its term. A leader that cannot renew stops acting when its local
/// lease runs out; one paused past it wakes to find its term over, and its writes change nothing.
public final class LeaderService: Service, Sendable {
    let membership: NodeMembership
    let settings: LiveSettings
    let connection: DedicatedConnection
    let builtIns: [ScheduleDefinition]
    let metrics: JobMetrics
    let logger: Logger
    let lease: LeaderLease
    let rescuer: Rescuer
    let scheduler: ScheduleFiringWork
    private let leadership = Mutex<Leadership?>(nil)
    private let wake = WakeSignal()

    public init(membership: NodeMembership, settings: LiveSettings, registry: JobRegistry, builtIns: [ScheduleDefinition],
                connector: DatabaseConnector, metrics: JobMetrics, logger: Logger) {
        self.membership = membership
        self.settings = settings
        self.builtIns = builtIns
        self.metrics = metrics
        self.logger = logger
        connection = DedicatedConnection(connector: connector, purpose: "leader", logger: logger)
        lease = LeaderLease(nodeID: membership.nodeID, incarnation: membership.incarnation, logger: logger)
        rescuer = Rescuer(lease: lease)
        scheduler = ScheduleFiringWork(lease: lease, registry: registry)
    }

    /// This node's term, if it leads right now (by its own clock's reading of the lease).
    public var currentLeadership: Leadership? {
        leadership.withLock { $0 }.flatMap { $0.validUntil > .now ? $0 : nil }
    }

    /// A schedule was created or changed: look at the schedules again now.
    public func schedulesChanged() { wake.signal() }

    public func run() async throws {
        var nextRescue = ContinuousClock.now
        var nextRenewal = ContinuousClock.now
        var failing = false
        await withGracefulShutdownHandler {
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                let interval = settings.current.heartbeatInterval
                if ContinuousClock.now >= nextRenewal {
                    failing = await renew(failing: failing)
                    nextRenewal = ContinuousClock.now + Self.jittered(interval)
                }
                var sleep = nextRenewal - ContinuousClock.now
                if let term = currentLeadership?.term {
                    if ContinuousClock.now >= nextRescue {
                        await rescue(term: term)
                        nextRescue = ContinuousClock.now + interval
                    }
                    if let nextSlot = await fireDue(term: term) { sleep = min(sleep, nextSlot) }
                    sleep = min(sleep, nextRescue - ContinuousClock.now)
                }
                await wake.wait(timeout: max(sleep, .milliseconds(10)))
            }
        } onGracefulShutdown: {
            self.wake.signal()
        }
        await stepDown(reason: "the node is shutting down")
        await connection.close()
    }

    static func jittered(_ interval: Duration) -> Duration {
        interval - .milliseconds(Int64.random(in: 0...max(0, interval.inMilliseconds / 10)))
    }

    /// One claim: renew, take over, or learn who leads. Returns whether it failed.
    func renew(failing: Bool) async -> Bool {
        guard membership.permit() != nil, !isShuttingDown else {
            await stepDown(reason: "this node no longer takes work (\(membership.state.described))")
            return failing
        }
        let leaseLength = settings.current.nodeOfflineAfter, lease = self.lease
        let sentAt = ContinuousClock.now
        do {
            let holder = try await connection.run(max(settings.current.heartbeatInterval, .seconds(2)), "leader lease") { connection in
                try await lease.claim(lease: leaseLength, on: connection)
            }
            if failing { logger.notice("leader lease reachable again") }
            let mine = holder.map { $0.holder == membership.nodeID && $0.incarnation == membership.incarnation } ?? false
            let previous = leadership.withLock { $0 }
            if let holder, mine {
                leadership.withLock { $0 = Leadership(term: holder.term, validUntil: sentAt + min(holder.expiresIn, leaseLength)) }
                if previous?.term != holder.term { await elected(term: holder.term) }
            } else {
                leadership.withLock { $0 = nil }
                if let previous { logger.warning("no longer the leader: term \(previous.term) is over\(holder.map { "; term \($0.term) is held by another node" } ?? "")") }
                metrics.leading.record(0)
            }
            if let holder { metrics.leaderTerm.record(holder.term) }
            return false
        } catch {
            if !failing { logger.warning("could not renew the leader lease: \(DatabaseError.readable(error))") }
            return true
        }
    }

    var isShuttingDown: Bool { membership.state == .stopping }

    func elected(term: Int64) async {
        logger.notice("this node leads the cluster (term \(term)): it rescues stranded jobs and fires schedules")
        metrics.leading.record(1)
        metrics.leaderTerm.record(term)
        let builtIns = self.builtIns, logger = self.logger
        do {
            let added = try await connection.run(.seconds(10), "adding built-in schedules") { connection in
                try await ScheduleRepository(logger: logger).ensure(builtIns: builtIns, on: connection)
            }
            if !added.isEmpty { logger.notice("added built-in schedules: \(added.joined(separator: ", "))") }
        } catch {
            logger.warning("could not add the built-in schedules: \(DatabaseError.readable(error))")
        }
    }

    func stepDown(reason: String) async {
        guard let previous = leadership.withLock({ state -> Leadership? in defer { state = nil }; return state }) else { return }
        metrics.leading.record(0)
        let lease = self.lease
        do {
            try await connection.run(.seconds(2), "releasing the leader lease") { connection in
                try await lease.release(term: previous.term, on: connection)
            }
            logger.notice("stepped down as leader (term \(previous.term)): \(reason)")
        } catch {
            logger.notice("stepped down as leader (term \(previous.term)): \(reason); the lease runs out by itself")
        }
    }

    func rescue(term: Int64) async {
        let rescuer = self.rescuer
        do {
            let result = try await connection.run(.seconds(10), "rescuing jobs") { connection in
                try await rescuer.rescue(term: term, on: connection)
            }
            if !result.termHeld { return lost(term) }
            for job in result.rescued {
                logger.warning("job \(job.id) (\(job.kind)) back to the pool: \(job.reason)")
            }
            metrics.rescued.increment(by: result.rescued.count)
            if result.dropped > 0 { logger.notice("dropped \(result.dropped) local jobs of decommissioned nodes") }
        } catch {
            logger.warning("rescuing jobs failed: \(DatabaseError.readable(error))")
        }
    }

    /// Fires every due schedule; returns how long until the next slot (nil: none soon).
    func fireDue(term: Int64) async -> Duration? {
        let scheduler = self.scheduler
        do {
            let (due, nextIn) = try await connection.run(.seconds(10), "reading due schedules") { connection in
                try await scheduler.due(on: connection)
            }
            for schedule in due {
                let fired = try await connection.run(.seconds(30), "firing schedule \(schedule.name)") { connection in
                    try await scheduler.fire(schedule, term: term, on: connection)
                }
                metrics.firings.increment(by: fired.fired)
                if fired.missed > 0 || fired.skipped > 0 {
                    logger.warning("schedule \(schedule.name): \(fired.missed + fired.skipped) slots were missed by more than the misfire grace (\(fired.skipped > 0 ? "skipped" : "fired once"))")
                }
            }
            return due.isEmpty ? nextIn : .zero
        } catch let error as LeadershipLost {
            lost(error.term)
            return nil
        } catch {
            if let lost = (error as? PostgresTransactionError)?.closureError as? LeadershipLost {
                self.lost(lost.term)
            } else {
                logger.warning("firing schedules failed: \(DatabaseError.readable(error))")
            }
            return nil
        }
    }

    func lost(_ term: Int64) {
        let had = leadership.withLock { state -> Bool in
            guard state?.term == term else { return false }
            state = nil
            return true
        }
        if had {
            metrics.leading.record(0)
            logger.warning("no longer the leader: term \(term) is over (another node took the lease); nothing more is written under it")
        }
    }
}
