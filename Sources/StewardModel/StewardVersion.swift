/// The version of this build of Steward.
public enum StewardVersion {
    public static let current = SoftwareVersion(0, 1, 0)
}
