import ArgumentParser

@main
struct StewardBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward-benchmarks",
        abstract: "Measurements of a real Steward cluster (throwaway PostgreSQL, real processes).",
        discussion: "Build first (swift build), then: swift run steward-benchmarks failure-detection --kills 10",
        subcommands: [FailureDetection.self])
}
