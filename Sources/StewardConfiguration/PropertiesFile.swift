import Foundation

/// A parsed `.properties` file that remembers where each key came from.
public struct PropertiesFile: Sendable {
    public let path: String
    public let entries: [PropertiesParser.Entry]

    public init(path: String, entries: [PropertiesParser.Entry]) {
        self.path = path
        self.entries = entries
    }

    public init(path: String, text: String) throws(ConfigurationError) {
        do {
            self.init(path: path, entries: try PropertiesParser.parse(text))
        } catch {
            throw ConfigurationError(file: path, line: error.line, message: error.reason)
        }
    }

    /// Reads the file as UTF-8, falling back to ISO-8859-1 (Java's historical encoding).
    public static func load(path: String) throws(ConfigurationError) -> PropertiesFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(file: path, message: "cannot read the file: \(describe(error))")
        }
        let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) ?? ""
        return try PropertiesFile(path: path, text: text)
    }

    /// The entry that wins for `key` (the last one, as in Java).
    public func entry(_ key: String) -> PropertiesParser.Entry? {
        entries.last { $0.key == key }
    }

    public subscript(key: String) -> String? { entry(key)?.value }

    /// Keys given more than once: Java silently keeps the last; we say so.
    public var duplicateWarnings: [ConfigurationWarning] {
        var seen: [String: Int] = [:]
        var warnings: [ConfigurationWarning] = []
        for entry in entries {
            if let earlier = seen[entry.key] {
                warnings.append(ConfigurationWarning(
                    file: path, line: entry.firstLine,
                    message: "\(entry.key) is also set on line \(earlier); this later value wins"))
            }
            seen[entry.key] = entry.firstLine
        }
        return warnings
    }
}

/// `strerror`-style text for a Foundation file error, without the noise of NSError's description.
func describe(_ error: any Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if nsError.domain == NSCocoaErrorDomain {
        switch nsError.code {
        case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError: return "permission denied"
        default: break
        }
    }
    return nsError.localizedDescription
}
