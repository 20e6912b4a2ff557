/// Runs `body`, then `cleanup` however `body` ended: the `defer` that Swift does not allow to `await`.
public func withAsyncCleanup<T: Sendable>(_ body: () async throws -> T, cleanup: () async -> Void) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return result
}
