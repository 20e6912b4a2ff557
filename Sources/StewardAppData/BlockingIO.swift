import NIOPosix

/// File-system work (stat, read, write, fsync on a network share that may stall) runs on NIO's
/// blocking thread pool, never on the cooperative pool or an event loop: a slow share then delays
/// only the caller, not every request and heartbeat of the node.
public enum BlockingIO {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
