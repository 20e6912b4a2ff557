import Foundation
import StewardModel

/// Checks, at start, that the appdata folder is complete and writable, and reads its cluster id.
public struct AppDataVerifier: Sendable {
    public let layout: AppDataLayout

    public init(layout: AppDataLayout) { self.layout = layout }

    public struct Report: Sendable {
        /// Optional folders that were missing and have been created.
        public var created: [String] = []
        /// The id in `cluster.id`, nil when the file does not exist yet.
        public var clusterID: ClusterID?
    }

    public func verify(nodeName: String) throws(AppDataError) -> Report {
        var report = Report()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: layout.root, isDirectory: &isFolder) else {
            throw AppDataError(.missingRoot, path: layout.root, detail: "")
        }
        guard isFolder.boolValue else { throw AppDataError(.notAFolder, path: layout.root, detail: "") }
        for folder in AppDataLayout.requiredFolders {
            let path = layout.path(folder)
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
                throw AppDataError(.missingFolder, path: path, detail: "every appdata has \(folder)/")
            }
        }
        for folder in AppDataLayout.optionalFolders + ["logs/\(nodeName)"] {
            let path = layout.path(folder)
            // Each optional folder's parent is a required folder, so one mkdir is enough.
            if !FileManager.default.fileExists(atPath: path) {
                guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
                    throw AppDataError(.notWritable, path: path, detail: "cannot create the folder: \(String(cString: strerror(errno)))")
                }
                report.created.append(folder)
            }
        }
        try probeWritable(layout.root, nodeName: nodeName)
        try probeWritable(layout.nodeLogDirectory(nodeName), nodeName: nodeName)
        report.clusterID = try readClusterID()
        return report
    }

    /// Writes, fsyncs and removes a small file: the only honest test of a network mount.
    func probeWritable(_ folder: String, nodeName: String) throws(AppDataError) {
        let probe = "\(folder)/.write-probe-\(nodeName)-\(getpid())"
        do {
            try AtomicFile.write("probe\n", to: probe)
        } catch {
            throw AppDataError(.notWritable, path: folder, detail: error.reason)
        }
        unlink(probe)
    }

    public func readClusterID() throws(AppDataError) -> ClusterID? {
        let path = layout.clusterIDFile
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw AppDataError(.malformedClusterID, path: path, detail: "the file is not readable")
            }
            return nil
        }
        guard let text = String(data: data, encoding: .utf8), let id = ClusterID(text) else {
            throw AppDataError(.malformedClusterID, path: path, detail: "expected one UUID")
        }
        return id
    }

    /// Writes `cluster.id`; never replaces an existing one.
    public func writeClusterID(_ id: ClusterID) throws(AppDataError) {
        if let existing = try readClusterID() {
            guard existing == id else {
                throw AppDataError(.foreignCluster, path: layout.clusterIDFile,
                                   detail: "appdata \(layout.root) already belongs to cluster \(existing); refusing to overwrite it with \(id)")
            }
            return
        }
        do {
            try AtomicFile.write("\(id)\n", to: layout.clusterIDFile)
        } catch {
            throw AppDataError(.notWritable, path: layout.clusterIDFile, detail: error.reason)
        }
    }
}
