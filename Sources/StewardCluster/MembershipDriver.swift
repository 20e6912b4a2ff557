import Foundation
import Logging
import StewardAppData
import StewardDatabase
import StewardModel

/// Carries out what the membership state machine decides: writes the node's state (as this
/// incarnation), logs why work stops and resumes, and runs the rejoin steps. All I/O of membership
/// is here; all decisions are not. Each action carries what it needs: nothing is read back.
public struct MembershipDriver: Sendable {
    public typealias Action = MembershipStateMachine.Action
    let runtime: MembershipRuntime

    public init(runtime: MembershipRuntime) { self.runtime = runtime }

    var membership: NodeMembership { runtime.membership }
    var logger: Logger { runtime.logger }

    public func perform(_ actions: [Action]) async {
        for action in actions {
            switch action {
            case .recordState(let state):
                await record(state)
            case .stopWork(let reason):
                logger.warning("not taking work: \(reason)")
            case .resumeWork:
                logger.notice("online: taking work", metadata: ["incarnation": "\(membership.incarnation)"])
            case .runJoinStep(let step):
                await perform(await run(step))
            case .warnClockSkew(let seconds):
                logger.warning("this node's clock differs from the database's by \(seconds)s; fix its time synchronisation (NTP)")
            }
        }
    }

    func record(_ state: MembershipState) async {
        let nodes = runtime.nodes, nodeID = membership.nodeID, incarnation = membership.incarnation
        do {
            try await runtime.connection.run(.seconds(5), "recording the node state") { connection in
                try await nodes.recordState(nodeID, incarnation: incarnation, state: state.rowState, detail: state.detail, on: connection)
            }
            logger.notice("state: \(state.described)")
        } catch let fenced as IncarnationFenced {
            await fence(fenced)
        } catch {
            logger.warning("could not record state \(state.display): \(DatabaseError.readable(error))")
        }
    }

    /// The database refused this process's write: it stops taking work, for good, and says why.
    func fence(_ fenced: IncarnationFenced) async {
        logger.error("the database refused this process's write: \(fenced); it takes no more work. Restart the node to rejoin (a decommissioned node needs --rejoin)")
        await perform(membership.handle { machine, _ in
            machine.writeRefused(decommissioned: fenced.rowState == .decommissioned, current: fenced.current)
        })
    }

    /// One rejoin step; returns the machine's answer to its outcome.
    func run(_ step: MembershipState.JoinStep) async -> [Action] {
        logger.notice("rejoining: \(step.detail)")
        do {
            if let final = try await check(step) { return membership.handle { machine, _ in machine.refused(final) } }
            return membership.handle { machine, now in machine.joinStepSucceeded(step, at: now) }
        } catch let fenced as IncarnationFenced {
            logger.error("rejoin refused: \(fenced)")
            return membership.handle { machine, _ in
                machine.writeRefused(decommissioned: fenced.rowState == .decommissioned, current: fenced.current)
            }
        } catch {
            logger.warning("rejoin step \(step.label) failed: \(DatabaseError.readable(error))")
            return membership.handle { machine, _ in machine.joinStepFailed(step, reason: "\(DatabaseError.readable(error))") }
        }
    }

    /// nil when the step passed; a final state when the node may not rejoin at all.
    func check(_ step: MembershipState.JoinStep) async throws -> MembershipState? {
        let nodes = runtime.nodes, nodeID = membership.nodeID, name = membership.nodeName
        let incarnation = membership.incarnation, logger = self.logger
        switch step {
        case .checkingAppData:
            let verifier = AppDataVerifier(layout: AppDataLayout(root: runtime.appDataDirectory))
            let report = try await BlockingIO.run { try verifier.verify(nodeName: name) }
            guard report.clusterID == membership.clusterID else {
                throw AppDataError(.foreignCluster, path: verifier.layout.clusterIDFile,
                                   detail: "appdata no longer holds this cluster's id (\(membership.clusterID))")
            }
        case .checkingSchema:
            let found = try await runtime.connection.run(.seconds(5), "cluster lookup") { try await ClusterRepository(logger: logger).fetch(on: $0) }
            guard let cluster = found else { throw DatabaseError(.clusterMissing, "the cluster row is missing") }
            if SchemaCompatibility.check(cluster) != nil { return .upgradeRequired(clusterVersion: cluster.softwareVersion.description) }
        case .registering:
            let status = try await runtime.connection.run(.seconds(5), "node lookup") { try await nodes.status(of: name, on: $0) }
            guard let status else { throw DatabaseError(.query, "this node's row is gone") }
            if status.stateCode == .decommissioned { return .decommissioned }
            if status.incarnation != incarnation {
                throw IncarnationFenced(mine: incarnation, current: status.incarnation, rowState: status.stateCode)
            }
        case .catchingUp:
            let figures = runtime.figures()
            let row = try await runtime.connection.run(.seconds(5), "heartbeat") {
                try await nodes.heartbeat(nodeID, incarnation: incarnation, figures: NodeFigures(
                    clockSkewMilliseconds: 0, requestsInFlight: figures.requestsInFlight, agentsConnected: figures.agentsConnected), on: $0)
            }
            guard let row else { throw DatabaseError(.query, "this node's row is gone") }
            if row.previousState == .decommissioned { return .decommissioned }
            if row.currentIncarnation != incarnation {
                throw IncarnationFenced(mine: incarnation, current: row.currentIncarnation, rowState: row.previousState)
            }
            if let newer = Self.newerClusterVersion(row) { return .upgradeRequired(clusterVersion: newer) }
        }
        return nil
    }

    /// The cluster's version when it is ahead of this binary (in software or in schema).
    static func newerClusterVersion(_ row: HeartbeatRow) -> String? {
        let software = SoftwareVersion(row.clusterSoftwareVersion) ?? StewardVersion.current
        guard software > StewardVersion.current || row.clusterSchemaVersion > Migrations.latestVersion else { return nil }
        return row.clusterSoftwareVersion
    }
}
