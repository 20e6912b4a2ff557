import ArgumentParser

@main
struct StewardBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward-benchmarks",
        abstract: "Measurements of a real Steward cluster (throwaway PostgreSQL, real processes).",
        discussion: """
            Build first (swift build; for `http` also swift build -c release --product steward-server), then:
              swift run steward-benchmarks failure-detection --kills 10
              swift run steward-benchmarks http
              swift run steward-benchmarks jobs
              swift run steward-benchmarks licenses
              swift run steward-benchmarks agents --agents 10000
            """,
        subcommands: [FailureDetection.self, HTTPBenchmark.self, JobsBenchmark.self, LicensesBenchmark.self, AgentsBenchmark.self])
}
