import Foundation

/// Typed reads from a `PropertiesFile`. Every read records the key as known, so that after a
/// configuration has read all its keys, whatever is left in the file is an unknown key.
public final class PropertyReader {
    public let file: PropertiesFile
    private(set) var knownKeys: Set<String> = []

    public init(_ file: PropertiesFile) { self.file = file }

    /// The raw value, leading and trailing whitespace removed; nil when absent or blank.
    public func string(_ key: String) -> String? {
        knownKeys.insert(key)
        guard let value = file[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// The value exactly as written (secrets may end in spaces, as Java allows).
    public func exactString(_ key: String) -> String? {
        knownKeys.insert(key)
        guard let value = file[key], !value.isEmpty else { return nil }
        return value
    }

    public func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file.path, line: file.entry(key)?.firstLine, key: key, message: message)
    }

    public func required(_ key: String, meaning: String) throws(ConfigurationError) -> String {
        guard let value = string(key) else {
            throw ConfigurationError(file: file.path, key: key, message: "is required: \(meaning)")
        }
        return value
    }

    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = string(key) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw error(key, "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    public func port(_ key: String, default fallback: Int) throws(ConfigurationError) -> Int {
        guard let text = string(key) else { return fallback }
        guard let value = Int(text), (1...65535).contains(value) else {
            throw error(key, "'\(text)' is not a port number (1-65535)")
        }
        return value
    }

    public func duration(_ key: String, default fallback: Duration, allowZero: Bool = false) throws(ConfigurationError) -> Duration {
        guard let text = string(key) else { return fallback }
        guard let value = DurationText.parse(text) else {
            throw error(key, "'\(text)' is not a duration; write a number and a unit, such as 500ms, 3s, 2m or 1h")
        }
        guard value > .zero || allowZero else { throw error(key, "must be longer than zero") }
        return value
    }

    public func choice<T: RawRepresentable & CaseIterable>(
        _ key: String, default fallback: T
    ) throws(ConfigurationError) -> T where T.RawValue == String {
        guard let text = string(key) else { return fallback }
        guard let value = T(rawValue: text.lowercased()) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(key, "'\(text)' is not one of: \(allowed)")
        }
        return value
    }

    /// A path; a relative one is taken relative to the properties file's folder.
    public func path(_ key: String) -> String? {
        guard let text = string(key) else { return nil }
        return resolve(text)
    }

    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        let base = URL(fileURLWithPath: file.path).deletingLastPathComponent()
        return base.appendingPathComponent(path).standardizedFileURL.path
    }

    /// A secret given either inline (`key`) or in a file (`fileKey`); both at once is ambiguous.
    public func secret(_ key: String, fileKey: String) throws(ConfigurationError) -> Secret? {
        let inline = exactString(key)
        let path = self.path(fileKey)
        switch (inline, path) {
        case (.some, .some):
            throw error(fileKey, "both \(key) and \(fileKey) are set; keep only one")
        case (.some(let value), nil):
            return Secret(value)
        case (nil, .some(let path)):
            return try readSecretFile(path, key: fileKey)
        case (nil, nil):
            return nil
        }
    }

    public func readSecretFile(_ path: String, key: String) throws(ConfigurationError) -> Secret {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw error(key, "the file \(path) is a folder, not a file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "is not readable by this user" : "does not exist"
            throw error(key, "the file \(path) \(reason)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw error(key, "the file \(path) is not UTF-8 text")
        }
        // One trailing newline is the file's, not the secret's.
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty else { throw error(key, "the file \(path) is empty") }
        return Secret(text)
    }

    /// Keys in the file that no configuration read, with a suggestion when one is close.
    public func unknownKeyWarnings() -> [ConfigurationWarning] {
        file.entries.filter { !knownKeys.contains($0.key) }.map { entry in
            var message = "unknown key \(entry.key) is ignored"
            if let suggestion = closestKnownKey(to: entry.key) { message += "; did you mean \(suggestion)?" }
            return ConfigurationWarning(file: file.path, line: entry.firstLine, message: message)
        }
    }

    private func closestKnownKey(to key: String) -> String? {
        let scored = knownKeys.map { ($0, editDistance($0, key)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, key.count / 5) else { return nil }
        return best
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for (i, ca) in a.enumerated() {
        var current = [i + 1] + Array(repeating: 0, count: b.count)
        for (j, cb) in b.enumerated() {
            current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
