import Foundation
import Logging
import StewardConfiguration
import StewardDatabase
import StewardModel

/// Where a kind of job runs.
public enum JobScope: String, Sendable, Codable {
    /// Any online node claims it from the shared pool.
    case pooled
    /// It belongs to one node (the one it was enqueued for) and only that node runs it.
    case local
}

/// One kind of job: its name (stored in `jobs.kind`), its typed arguments and its handler. A
/// handler may run more than once for one job (a node that dies after the work but before the
/// completion write gets its job run again elsewhere), so handlers are written to be idempotent;
/// `JobContext.fencingToken` lets them fence their own writes too.
public protocol JobKind: Sendable {
    associatedtype Arguments: Codable & Sendable
    /// What the handler returns, kept in `jobs.result` when its completion is accepted.
    associatedtype Output: Encodable & Sendable = JobNoOutput

    /// Stable across versions: dots and dashes, such as "housekeeping.purge-jobs".
    static var name: String { get }
    static var scope: JobScope { get }
    /// An attempt still running after this is failed (and retried); the handler is cancelled.
    static var timeout: Duration { get }
    static var defaultMaxAttempts: Int { get }
    /// How long to wait before attempt `attempt + 1`, after attempt `attempt` failed.
    static func retryDelay(afterAttempt attempt: Int) -> Duration

    func run(_ arguments: Arguments, context: JobContext) async throws -> Output
}

extension JobKind {
    public static var scope: JobScope { .pooled }
    public static var timeout: Duration { .seconds(300) }
    public static var defaultMaxAttempts: Int { 5 }
    public static func retryDelay(afterAttempt attempt: Int) -> Duration { Backoff.standard.delay(afterAttempt: attempt) }
}

/// The output of a handler with nothing to say.
public struct JobNoOutput: Codable, Sendable, Equatable {
    public init() {}
}

/// What a handler knows about the attempt it runs.
public struct JobContext: Sendable {
    public let jobID: Int64
    public let kind: String
    /// 1 for the first attempt.
    public let attempt: Int
    public let maxAttempts: Int
    /// Grows with every claim of any job: a write that carries it can be refused once the job has
    /// been claimed again by another node.
    public let fencingToken: Int64
    public let nodeID: NodeID
    public let nodeName: String
    /// The node's pooled connections (the same the HTTP side uses).
    public let database: any QueryRunner
    public let settings: ClusterSettings
    public let logger: Logger
}

/// Thrown by a handler for a failure that no retry can fix: the job is discarded at once.
public struct PermanentJobError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The registered kinds, by name. Built once at start, before any worker runs.
public struct JobRegistry: Sendable {
    struct Entry: Sendable {
        let name: String
        let scope: JobScope
        let timeout: Duration
        let defaultMaxAttempts: Int
        let retryDelay: @Sendable (Int) -> Duration
        /// Checks arguments without running anything (for the API's "create schedule").
        let validate: @Sendable (Data) -> String?
        let execute: @Sendable (Data, JobContext) async throws -> String?
    }

    private(set) var entries: [String: Entry] = [:]

    public init() {}

    public mutating func register<Kind: JobKind>(_ kind: Kind) {
        precondition(entries[Kind.name] == nil, "job kind \(Kind.name) registered twice")
        precondition(JobRegistry.isValidName(Kind.name), "job kind name \(Kind.name) is not lower-case words joined by '.' or '-'")
        entries[Kind.name] = Entry(
            name: Kind.name, scope: Kind.scope, timeout: Kind.timeout, defaultMaxAttempts: Kind.defaultMaxAttempts,
            retryDelay: { Kind.retryDelay(afterAttempt: $0) },
            validate: { data in
                do { _ = try JobCoding.decode(Kind.Arguments.self, from: data); return nil } catch { return "\(error)" }
            },
            execute: { data, context in
                let arguments: Kind.Arguments
                do {
                    arguments = try JobCoding.decode(Kind.Arguments.self, from: data)
                } catch {
                    throw PermanentJobError("the arguments do not decode as \(Kind.name)'s: \(error)")
                }
                let output = try await kind.run(arguments, context: context)
                if output is JobNoOutput { return nil }
                return try JobCoding.encodeText(output)
            })
    }

    public var names: [String] { entries.keys.sorted() }

    public func scope(of name: String) -> JobScope? { entries[name]?.scope }

    func entry(_ name: String) -> Entry? { entries[name] }

    /// Why `arguments` (JSON) cannot be used with `kind`, or nil when they can.
    public func problem(kind: String, arguments: Data) -> String? {
        guard let entry = entries[kind] else {
            return "no job kind '\(kind)'; known kinds: \(names.joined(separator: ", "))"
        }
        return entry.validate(arguments).map { "the arguments do not suit \(kind): \($0)" }
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100 && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "." || $0 == "-" }
    }
}

/// Job arguments and outputs as stored: compact JSON, dates as ISO 8601.
enum JobCoding {
    static func encodeText<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }
}

extension JobRegistry {
    /// The kind's default attempts, or 5 for a kind this node does not know.
    public func defaultMaxAttempts(of name: String) -> Int { entry(name)?.defaultMaxAttempts ?? 5 }
}
