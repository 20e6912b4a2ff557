/// Does nothing and succeeds: a check that the pool claims and completes work
/// (`POST /api/v1/jobs {"kind": "steward.noop"}`), and the job the benchmark measures the pool with.
public struct NoopJob: JobKind {
    public struct Arguments: Codable, Sendable {
        /// Free text, kept with the job (a benchmark's run, an operator's note).
        public var note: String?
        public init(note: String? = nil) { self.note = note }
    }

    public static let name = "steward.noop"
    public static let timeout: Duration = .seconds(10)

    public init() {}

    public func run(_ arguments: Arguments, context: JobContext) async throws -> JobNoOutput { JobNoOutput() }
}
