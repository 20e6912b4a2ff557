import Crypto
import Foundation
import StewardModel

/// One numbered, append-only schema change: statements run in order, in one transaction.
/// (One statement per entry: the extended query protocol runs a single statement at a time.)
/// Once released, a migration never changes: its checksum is recorded when applied, and a node
/// whose copy differs refuses to start.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }

    public var checksum: String {
        SHA256.hash(data: Data(statements.joined(separator: ";\n").utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

public enum Migrations {
    /// Every migration of this release, in order. Append; never edit or reorder.
    static let released: [Migration] = [initialSchema, identity, membership, clusterSeams, loginThrottling, keys, jobs, licenses, agents, agentCommands]

    /// What this binary applies: the release's migrations, plus one harmless extra when it
    /// pretends to be the next release (see `StewardVersion.pretendsNextVersion`).
    public static let all: [Migration] = released + (StewardVersion.pretendsNextVersion ? [upgradeRehearsal] : [])

    /// Adds an empty table: enough for a newer node to move the schema forward in upgrade tests.
    static let upgradeRehearsal = Migration(version: 1000, name: "upgrade rehearsal", statements: [
        "CREATE TABLE steward_upgrade_rehearsal (id integer)",
    ])

    /// The schema version this build expects: the last migration's number.
    public static var latestVersion: Int { all.last?.version ?? 0 }

    public static var count: Int { all.count }
}
