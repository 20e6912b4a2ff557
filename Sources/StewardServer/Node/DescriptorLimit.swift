#if canImport(Glibc)
import Glibc
#endif

/// The listeners' connection caps only hold if the process may open that many sockets: the soft
/// limit on open files is raised to what they need (up to the hard limit), and a shortfall is said.
enum DescriptorLimit {
    /// nil when the caps fit; otherwise the warning to log.
    static func raise(toFit needed: Int) -> String? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let wanted = rlim_t(needed)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = min(wanted, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur < wanted else { return nil }
        return "the open-file limit is \(limit.rlim_cur) (hard limit \(limit.rlim_max)), but the connection caps (server.*.max.connections) need \(needed); raise LimitNOFILE (systemd) or `ulimit -n`, or lower the caps"
    }
}
