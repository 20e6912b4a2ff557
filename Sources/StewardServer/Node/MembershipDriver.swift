import Foundation
import Logging
import StewardAppData
import StewardCluster
import StewardDatabase
import StewardModel

/// Carries out what the membership state machine decides: writes the node's state, stops and
/// resumes work, and runs the rejoin steps. All I/O of membership is here; all decisions are not.
struct MembershipDriver: Sendable {
    typealias Action = MembershipStateMachine.Action
    let runtime: NodeRuntime

    var nodes: NodeRepository { NodeRepository(logger: runtime.logger) }
    var offlineAfter: Duration { runtime.configuration.cluster.nodeOfflineAfter }

    func perform(_ actions: [Action]) async {
        for action in actions {
            switch action {
            case .recordState:
                await recordState()
            case .stopWork(let reason):
                runtime.logger.warning("not taking work: \(reason)", metadata: ["state": "\(runtime.state.display)"])
                runtime.agents.closeAll(reason: "node \(runtime.nodeName) is leaving service: \(reason)")
            case .resumeWork:
                runtime.logger.notice("online: taking work")
            case .runJoinStep(let step):
                await perform(await run(step))
            case .warnClockSkew(let seconds):
                runtime.logger.warning("this node's clock differs from the database's by \(seconds)s; fix its time synchronisation (NTP)")
            }
        }
    }

    func recordState() async {
        let state = runtime.state
        let client = runtime.database, nodeID = runtime.nodeID, nodes = self.nodes
        do {
            try await withDeadline(.seconds(5), "recording the node state") {
                try await nodes.recordState(nodeID, state: state.rowState, detail: state.detail, on: client)
            }
            runtime.logger.notice("state: \(state.described)")
        } catch {
            runtime.logger.warning("could not record state \(state.display): \(error)")
        }
    }

    /// One rejoin step; returns the machine's answer to its outcome.
    func run(_ step: MembershipState.JoinStep) async -> [Action] {
        runtime.logger.notice("rejoining: \(step.label) (\(step.rawValue)/4)")
        do {
            if let final = try await check(step) { return runtime.membershipEvent { $0.refused(final) } }
            return runtime.membershipEvent { $0.joinStepSucceeded(step, at: .now) }
        } catch {
            runtime.logger.warning("rejoin step \(step.label) failed: \(error)")
            return runtime.membershipEvent { $0.joinStepFailed(step, reason: "\(error)") }
        }
    }

    /// nil when the step passed; a final state when the node may not rejoin at all.
    func check(_ step: MembershipState.JoinStep) async throws -> MembershipState? {
        let client = runtime.database
        switch step {
        case .checkingAppData:
            let verifier = AppDataVerifier(layout: AppDataLayout(root: runtime.configuration.appDataDirectory))
            let report = try verifier.verify(nodeName: runtime.nodeName)
            guard report.clusterID == runtime.clusterID else {
                throw AppDataError(.foreignCluster, path: verifier.layout.clusterIDFile,
                                   detail: "appdata no longer holds this cluster's id (\(runtime.clusterID))")
            }
        case .checkingSchema:
            let clusters = ClusterRepository(logger: runtime.logger)
            let found = try await withDeadline(.seconds(5), "cluster lookup") { try await clusters.fetch(on: client) }
            guard let cluster = found else { throw DatabaseError(.clusterMissing, "the cluster row is missing") }
            if SchemaCompatibility.check(cluster) != nil { return .upgradeRequired(clusterVersion: cluster.softwareVersion.description) }
        case .registering:
            let nodes = self.nodes, name = runtime.nodeName
            let status = try await withDeadline(.seconds(5), "node lookup") { try await nodes.status(of: name, offlineAfter: .seconds(3600), on: client) }
            if status?.stateCode == "decommissioned" { return .decommissioned }
        case .catchingUp:
            let nodes = self.nodes, nodeID = runtime.nodeID, offlineAfter = self.offlineAfter
            let figures = NodeFigures(clockSkewMilliseconds: 0, requestsInFlight: runtime.requestsInFlight, agentsConnected: runtime.agents.count)
            let answer = try await withDeadline(.seconds(5), "heartbeat") {
                try await nodes.heartbeat(nodeID, offlineAfter: offlineAfter, figures: figures, on: client)
            }
            guard let row = answer else { throw DatabaseError(.query, "this node's row is gone") }
            if row.previousState == "decommissioned" { return .decommissioned }
            if let newer = newerClusterVersion(row) { return .upgradeRequired(clusterVersion: newer) }
        }
        return nil
    }

    /// The cluster's version when it is ahead of this binary (in software or in schema).
    func newerClusterVersion(_ row: HeartbeatRow) -> String? {
        let software = SoftwareVersion(row.clusterSoftwareVersion) ?? StewardVersion.current
        guard software > StewardVersion.current || row.clusterSchemaVersion > Migrations.latestVersion else { return nil }
        return row.clusterSoftwareVersion
    }
}
