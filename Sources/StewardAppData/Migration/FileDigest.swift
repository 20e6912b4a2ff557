import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of files, read with plain `read(2)` in large blocks.
public enum FileDigest {
    static let blockSize = 4 << 20

    /// The SHA-256 of the file at `path` as lowercase hex; of its first `limit` bytes when given.
    public static func sha256(path: String, limit: Int64? = nil) throws(MigrationError) -> String {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io("read", path, errno: errno) }
        defer { close(descriptor) }
        var hasher = SHA256()
        var remaining = limit ?? Int64.max
        let failure = readBlocks(descriptor) { block in
            let take = Int(min(Int64(block.count), remaining))
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[..<take]))
            remaining -= Int64(take)
            return remaining > 0
        }
        if let failure { throw .io("read", path, errno: failure) }
        guard remaining == 0 || limit == nil else {
            throw MigrationError(.verificationFailed, "\(path) is shorter than the \(limit ?? 0) bytes the journal recorded")
        }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The SHA-256 of a short text (for deterministic temporary names).
    static func sha256(text: String) -> String { hex(SHA256.hash(data: Array(text.utf8))) }

    /// Calls `body` with each block read until the end of the file or until `body` returns false.
    /// Returns errno when a read fails.
    static func readBlocks<E: Error>(_ descriptor: Int32, _ body: (UnsafeRawBufferPointer) throws(E) -> Bool) throws(E) -> Int32? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if count == 0 { return nil }
            guard try body(UnsafeRawBufferPointer(rebasing: buffer[..<count])) else { return nil }
        }
    }
}
