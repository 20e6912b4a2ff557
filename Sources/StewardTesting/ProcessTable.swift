import Foundation

/// Reads /proc to tell living processes from zombies. `kill(pid, 0)` cannot: a zombie still
/// "exists", and an orphan's zombie waits for PID 1 to reap it, which in some containers takes a while.
public enum ProcessTable {
    /// True when `pid` runs (or is stopped), not when it is gone or a zombie.
    public static func isLiving(_ pid: Int32) -> Bool {
        guard let fields = statFields(pid) else { return false }
        return fields.state != "Z" && fields.state != "X"
    }

    /// True when `pid` is stopped (SIGSTOP, or a stop signal it sent itself).
    public static func isStopped(_ pid: Int32) -> Bool { statFields(pid)?.state == "T" }

    /// How many file descriptors `pid` has open (its sockets among them); 0 when it cannot be read.
    /// The process's resident memory (VmRSS), in bytes; 0 when it cannot be read.
    public static func residentBytes(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return kilobytes * 1024
    }

    public static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    /// True when any process of group `group` is living.
    public static func groupIsLiving(_ group: Int32) -> Bool {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.lazy.compactMap { Int32($0) }.contains { pid in
            guard let fields = statFields(pid) else { return false }
            return fields.group == group && fields.state != "Z" && fields.state != "X"
        }
    }

    /// State and process group from /proc/PID/stat: "pid (comm) state ppid pgrp ...", where comm may hold spaces.
    private static func statFields(_ pid: Int32) -> (state: Substring, group: Int32)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ")
        guard rest.count > 2, let group = Int32(rest[2]) else { return nil }
        return (rest[0], group)
    }
}
