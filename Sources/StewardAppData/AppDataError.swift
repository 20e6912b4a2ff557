/// Why a node refuses the appdata folder, and what the operator should do about it.
public struct AppDataError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case missingRoot, notAFolder, missingFolder, notWritable
        case malformedClusterID, foreignCluster, unclaimed, orphaned
        case locked, notEmpty, templateMissing
    }

    public let code: Code
    public let path: String
    public let detail: String

    public init(_ code: Code, path: String, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String {
        switch code {
        case .missingRoot:
            return "appdata folder \(path) does not exist: mount the shared appdata there, or create one with `stewardctl appdata init \(path)`"
        case .notAFolder:
            return "appdata \(path) is not a folder: point server.appdata.dir at the shared appdata folder"
        case .missingFolder:
            return "appdata folder \(path) is missing: \(detail). Is server.appdata.dir the shared appdata? A new one is made with `stewardctl appdata init`"
        case .notWritable:
            return "appdata \(path) is not writable by this node: \(detail). Fix the mount (read-only?) or the folder's owner and permissions"
        case .malformedClusterID:
            return "appdata file \(path) does not hold a cluster id (\(detail)); restore it from a backup of this appdata"
        case .foreignCluster, .unclaimed, .orphaned, .locked, .notEmpty, .templateMissing:
            return detail
        }
    }
}
