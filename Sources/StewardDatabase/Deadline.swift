/// Runs `operation`, cancelling it and throwing `DatabaseError.timeout` after `limit`.
/// postgres-nio has no queue timeout: a pool that cannot connect waits forever without this.
public func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: @autoclosure () -> String = "database operation",
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let description = what()
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DatabaseError(.timeout, "\(description) did not finish within \(limit)")
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else {
            throw DatabaseError(.timeout, "\(description) was cancelled")
        }
        return result
    }
}
