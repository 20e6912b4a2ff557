import Foundation
import Logging
import ServiceLifecycle
import StewardCluster
import StewardDatabase
import StewardModel
import Synchronization

/// One node's worker: claims ready jobs (pooled ones, and this node's local ones) while the node
/// holds its work permit, runs each under its kind's timeout, renews the leases of what it holds,
/// and writes each end with the job's fencing token. Claims and writes go over two connections of
/// their own, so no request load can starve the pool. NOTIFY wakes it; polling is the fallback.
public final class JobWorker: Service, Sendable {
    public struct Configuration: Sendable {
        /// Attempts running at once on this node.
        public var concurrency: Int
        /// At a graceful shutdown, how long running attempts may go on before they are handed back.
        public var shutdownGrace: Duration
        public init(concurrency: Int, shutdownGrace: Duration) {
            self.concurrency = concurrency
            self.shutdownGrace = shutdownGrace
        }
    }

    let configuration: Configuration
    let membership: NodeMembership
    let settings: LiveSettings
    let registry: JobRegistry
    let handlerDatabase: any QueryRunner
    let claimConnection: DedicatedConnection
    let writeConnection: DedicatedConnection
    let metrics: JobMetrics
    let logger: Logger
    let claims: JobClaims

    private struct State {
        var running: [Int64: JobAttempt] = [:]
        var pending: [JobCompletion] = []
        var stopping = false
        var writerDone = false
    }

    private let state = Mutex(State())
    private let wake = WakeSignal()
    private let resultsReady = WakeSignal()
    private let renewWake = WakeSignal()

    public init(configuration: Configuration, membership: NodeMembership, settings: LiveSettings, registry: JobRegistry,
                handlerDatabase: any QueryRunner, connector: DatabaseConnector, metrics: JobMetrics, logger: Logger) {
        self.configuration = configuration
        self.membership = membership
        self.settings = settings
        self.registry = registry
        self.handlerDatabase = handlerDatabase
        self.metrics = metrics
        self.logger = logger
        claimConnection = DedicatedConnection(connector: connector, purpose: "job claims", logger: logger,
                                              sessionSettings: JobClaims.claimSessionSettings)
        writeConnection = DedicatedConnection(connector: connector, purpose: "job results", logger: logger)
        claims = JobClaims(nodeID: membership.nodeID, incarnation: membership.incarnation, logger: logger)
    }

    /// Attempts running or finished but not yet written: a draining node waits for this to reach 0.
    public var workInProgress: Int { state.withLock { $0.running.count + $0.pending.count } }

    public var runningJobs: [Int64] { state.withLock { Array($0.running.keys) } }

    /// A notification on `steward_jobs`.
    public func heard(_ payload: String) {
        if payload == "wake" { return wake.signal() }
        if payload.hasPrefix("wake:") {
            if payload.dropFirst(5) == membership.nodeID.description { wake.signal() }
            return
        }
        if payload.hasPrefix("cancel:"), let id = Int64(payload.dropFirst(7)) {
            state.withLock { $0.running[id] }?.stop(.cancelRequested)
        }
    }

    /// LISTEN came back: anything enqueued meanwhile was not announced.
    public func listening(_ listening: Bool) {
        if listening { wake.signal() }
    }

    var lease: Duration { settings.current.nodeOfflineAfter }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.writeLoop() }
            group.addTask { await self.renewLoop() }
            await withGracefulShutdownHandler {
                await self.claimLoop()
            } onGracefulShutdown: {
                self.state.withLock { $0.stopping = true }
                self.wake.signal()
            }
            await finishRunning()
            state.withLock { $0.writerDone = true }
            resultsReady.signal()
            renewWake.signal()
        }
        await claimConnection.close()
        await writeConnection.close()
    }

    // MARK: Claiming

    func claimLoop() async {
        var failing = false
        var heldBack = false
        while !Task.isCancelled, !state.withLock({ $0.stopping }) {
            let running = state.withLock { $0.running.count }
            let free = configuration.concurrency - running
            guard free > 0, membership.permit() != nil else {
                await wake.wait(timeout: settings.current.jobsPollInterval)
                continue
            }
            // While busy with short jobs, let a few more slots free up (5 ms at most) so that one
            // claim fills several: a round trip per freed slot would cap the node's throughput.
            if running > 0, free < configuration.concurrency / 4, !heldBack {
                heldBack = true
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            heldBack = false
            let limit = min(free, 100), lease = self.lease, claims = self.claims
            do {
                let jobs = try await claimConnection.run(.seconds(10), "claiming jobs") { connection in
                    try await claims.claim(limit: limit, lease: lease, on: connection)
                }
                if failing { logger.notice("claiming jobs works again") }
                failing = false
                jobs.forEach(start)
                if jobs.count == limit { continue }  // there may be more ready
            } catch {
                if !failing { logger.warning("could not claim jobs: \(DatabaseError.readable(error)); trying again") }
                failing = true
            }
            await wake.wait(timeout: settings.current.jobsPollInterval)
        }
    }

    func start(_ job: ClaimedJob) {
        let attempt = JobAttempt(job: job)
        let count = state.withLock { state -> Int in
            state.running[job.id] = attempt
            return state.running.count
        }
        metrics.claimed.increment()
        metrics.running.record(count)
        let context = JobContext(jobID: job.id, kind: job.kind, attempt: job.attempt, maxAttempts: job.maxAttempts, fencingToken: job.fencingToken,
                                 nodeID: membership.nodeID, nodeName: membership.nodeName, database: handlerDatabase,
                                 settings: settings.current, logger: logger)
        let entry = registry.entry(job.kind)
        let known = registry.names.joined(separator: ", ")
        let node = membership.nodeName
        Task {
            let end: AttemptEnd
            if let entry {
                end = await attempt.run(timeout: entry.timeout) { try await entry.execute(job.arguments, context) }
            } else {
                end = .failed("no job kind '\(job.kind)' on node \(node) (version \(StewardVersion.current)); this node knows \(known)", permanent: false)
            }
            self.finished(attempt, end, retryDelay: entry?.retryDelay ?? { Backoff.standard.delay(afterAttempt: $0) })
        }
    }

    // MARK: Ending attempts

    func finished(_ attempt: JobAttempt, _ end: AttemptEnd, retryDelay: (Int) -> Duration) {
        let job = attempt.job
        let runTime = ContinuousClock.now - attempt.startedAt
        let completion = Self.completion(for: job, end: end, runTime: runTime, node: membership.nodeName, retryDelay: retryDelay)
        if end == .stopped(.lost) {
            logger.warning("job \(job.id) (\(job.kind)) was lost while it ran: its lease ran out and it was claimed again")
        } else if case .failed(let message, _) = end {
            logger.info("job \(job.id) (\(job.kind)) attempt \(job.attempt)/\(job.maxAttempts) failed: \(message)")
        } else if case .timedOut(let limit) = end {
            logger.warning("job \(job.id) (\(job.kind)) attempt \(job.attempt)/\(job.maxAttempts) timed out after \(limit)")
        }
        let count = state.withLock { state -> Int in
            state.running[job.id] = nil
            state.pending.append(completion)
            return state.running.count
        }
        metrics.running.record(count)
        resultsReady.signal()
        wake.signal()
    }

    /// What to write for an attempt's end. Every write carries the claim's fencing token, so one for
    /// a job this node lost is refused.
    static func completion(for job: ClaimedJob, end: AttemptEnd, runTime: Duration, node: String,
                           retryDelay: (Int) -> Duration) -> JobCompletion {
        func make(_ outcome: JobCompletion.Outcome, error: String? = nil, retryIn: Duration = .zero, result: String? = nil) -> JobCompletion {
            JobCompletion(id: job.id, kind: job.kind, fencingToken: job.fencingToken, outcome: outcome, error: error, retryIn: retryIn,
                          resultJSON: result, runTime: runTime)
        }
        func failure(_ message: String, permanent: Bool) -> JobCompletion {
            if permanent { return make(.discarded, error: message) }
            if job.attempt >= job.maxAttempts {
                return make(.discarded, error: "\(message) (attempt \(job.attempt) of \(job.maxAttempts), the last)")
            }
            return make(.retryable, error: message, retryIn: retryDelay(job.attempt))
        }
        switch end {
        case .succeeded(let result): return make(.completed, result: result)
        case .failed(let message, let permanent): return failure(message, permanent: permanent)
        case .timedOut(let limit): return failure("timed out after \(limit) (the kind's timeout)", permanent: false)
        case .stopped(.cancelRequested): return make(.cancelled, error: "cancelled while running on \(node)")
        case .stopped(.shutdown): return make(.available, error: "interrupted: node \(node) shut down while it ran")
        case .stopped(.lost):
            // Written like any other end so that the refusal is seen and counted: the token no longer
            // matches, so the database keeps the new owner's result.
            return make(.retryable, error: "lost its lease on \(node) while it ran")
        }
    }

    // MARK: Writing

    func writeLoop() async {
        var failing = false
        while !Task.isCancelled {
            let (batch, done) = state.withLock { state -> ([JobCompletion], Bool) in
                let batch = Array(state.pending.prefix(500))
                state.pending.removeFirst(batch.count)
                return (batch, state.writerDone && state.running.isEmpty)
            }
            if batch.isEmpty {
                if done { return }
                await resultsReady.wait(timeout: .seconds(1))
                continue
            }
            let claims = self.claims
            do {
                let written = try await writeConnection.run(.seconds(15), "writing job results") { connection in
                    try await claims.complete(batch, on: connection)
                }
                if failing { logger.notice("writing job results works again") }
                failing = false
                for completion in batch {
                    if let state = written[completion.id] {
                        metrics.recordFinished(kind: completion.kind, state: state, runTime: completion.runTime)
                    } else {
                        metrics.rejected.increment()
                        logger.warning("job \(completion.id) (\(completion.kind)): this node's result is not recorded; the job was claimed again after this node lost its lease (fencing token \(completion.fencingToken) is no longer the job's)")
                    }
                }
            } catch {
                if !failing { logger.warning("could not write job results: \(DatabaseError.readable(error)); keeping them and trying again") }
                failing = true
                state.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    // MARK: Leases

    func renewLoop() async {
        while !Task.isCancelled, !state.withLock({ $0.writerDone }) {
            await renewWake.wait(timeout: lease / 3)
            if state.withLock({ $0.writerDone }) { return }
            let (attempts, held) = state.withLock { state in
                (state.running, state.running.values.map { ($0.job.id, $0.job.fencingToken) } + state.pending.map { ($0.id, $0.fencingToken) })
            }
            guard !held.isEmpty else { continue }
            let claims = self.claims, lease = self.lease
            do {
                let renewal = try await writeConnection.run(.seconds(10), "renewing job leases") { connection in
                    try await claims.renew(held.map { (id: $0.0, token: $0.1) }, lease: lease, on: connection)
                }
                for (id, attempt) in attempts {
                    switch renewal.held[id] {
                    case nil: attempt.stop(.lost)
                    case true?: attempt.stop(.cancelRequested)
                    case false?: break
                    }
                }
            } catch {
                logger.warning("could not renew the leases of \(held.count) jobs: \(DatabaseError.readable(error))")
            }
        }
    }

    // MARK: Shutdown

    /// Lets running attempts finish for the grace period, hands the rest back to the pool, and
    /// waits until every result is written (or the group cancels this).
    func finishRunning() async {
        let deadline = ContinuousClock.now + configuration.shutdownGrace
        var announced = false
        while !Task.isCancelled {
            let running = state.withLock { Array($0.running.values) }
            if running.isEmpty { break }
            if !announced {
                logger.notice("shutting down: waiting up to \(configuration.shutdownGrace) for \(running.count) running jobs")
                announced = true
            }
            if ContinuousClock.now >= deadline {
                logger.notice("shutting down: handing \(running.count) unfinished jobs back to the pool")
                running.forEach { $0.stop(.shutdown) }
            }
            await wake.wait(timeout: .milliseconds(200))
        }
    }
}
