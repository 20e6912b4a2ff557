import Foundation

/// Where the package's executables are: `$STEWARD_BIN_DIR`, else beside the test binary
/// (`swift build` and `swift test` put them in the same folder).
public enum Binaries {
    public static var directory: String {
        if let explicit = ProcessInfo.processInfo.environment["STEWARD_BIN_DIR"], !explicit.isEmpty { return explicit }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }

    public static func path(_ name: String) throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(path) is missing; run `swift build` first (or set STEWARD_BIN_DIR)")
        }
        return path
    }

    /// The release build of an executable (`swift build -c release --product NAME`; Scripts/test makes
    /// the server's), or nil when there is none.
    public static func release(_ name: String) -> String? {
        let path = packageRoot + "/.build/release/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The package's root folder (for `appdata-template/` and `Scripts/`).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    public static func stewardctl(_ arguments: [String], environment: [String: String]? = nil, input: String? = nil) async throws -> Shell.Output {
        try await Shell.run(path("stewardctl"), arguments, environment: environment, input: input, allowFailure: true)
    }
}
