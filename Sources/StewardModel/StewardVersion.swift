import Foundation

/// The version of this build of Steward.
public enum StewardVersion {
    public static let release = SoftwareVersion(0, 1, 0)

    /// Rolling upgrades are tested with the one binary: `STEWARD_TEST_PRETEND_NEXT_VERSION=1` makes
    /// it report the next minor version and bring one extra, empty migration. Never set it on a
    /// production node: the rest of the cluster would then wait for a release that does not exist.
    /// Only debug builds (the test suite's) read it; a release build never pretends.
    #if DEBUG
    public static let pretendsNextVersion = ProcessInfo.processInfo.environment["STEWARD_TEST_PRETEND_NEXT_VERSION"] == "1"
    #else
    public static let pretendsNextVersion = false
    #endif

    public static let current = pretendsNextVersion ? SoftwareVersion(release.major, release.minor + 1, 0) : release
}
