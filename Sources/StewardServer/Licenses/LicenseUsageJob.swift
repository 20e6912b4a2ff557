import StewardJobs
import StewardLicense
import StewardModel

/// Records the hour's seat usage and high-water mark, and says in the log what an operator should
/// know about the licenses (expiry ahead, grace, seats over the limit). A built-in hourly schedule.
struct RecordLicenseUsage: JobKind {
    struct Arguments: Codable, Sendable {}
    struct Output: Codable, Sendable { var hours: [LicenseUsageHour] }
    static let name = "license.record-usage"

    func run(_ arguments: Arguments, context: JobContext) async throws -> Output {
        let repository = LicenseRepository(logger: context.logger)
        let hours = try await repository.recordUsage(on: context.database)
        _ = try await repository.purgeUsage(on: context.database)
        for warning in try await Licensing.summary(repository, on: context.database).warnings { context.logger.warning("\(warning)") }
        return Output(hours: hours)
    }
}
