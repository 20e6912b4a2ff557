#if canImport(Glibc)
import Glibc
#endif

/// The one loop that writes a whole buffer to a descriptor, retrying short writes and EINTR.
public enum FileWriting {
    /// Writes all of `bytes`; returns errno when a write fails.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let written = write(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return nil
    }
}
