/// One cluster-wide setting: its key, what values it takes, its default and what it means.
/// The catalog (`ClusterSettings.definitions`) is the one list; the API, the CLI, the docs'
/// table and `installed.properties` conflict warnings all read it.
public struct ClusterSettingDefinition: Sendable {
    public enum Kind: Sendable {
        case duration(ClosedRange<Duration>)
        case integer(ClosedRange<Int>)
    }

    public let key: String
    public let kind: Kind
    public let defaultValue: String
    public let meaning: String

    /// The value in its canonical spelling ("6s", "20"), or the reason it is refused.
    public func canonical(_ text: String) -> Result<String, ClusterSettingError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .duration(let range):
            guard let duration = DurationText.parse(trimmed) else {
                return .failure(ClusterSettingError(key: key, "'\(text)' is not a duration such as 500ms, 3s, 2m, 1h or 7d"))
            }
            guard range.contains(duration) else {
                return .failure(ClusterSettingError(key: key,
                    "\(DurationText.format(duration)) is outside \(DurationText.format(range.lowerBound))...\(DurationText.format(range.upperBound))"))
            }
            return .success(DurationText.format(duration))
        case .integer(let range):
            guard let number = Int(trimmed) else { return .failure(ClusterSettingError(key: key, "'\(text)' is not a whole number")) }
            guard range.contains(number) else {
                return .failure(ClusterSettingError(key: key, "\(number) is outside \(range.lowerBound)...\(range.upperBound)"))
            }
            return .success(String(number))
        }
    }

    /// Durations in seconds, integers as themselves: what SQL that needs a setting reads.
    public func number(_ canonical: String) -> Double? {
        switch kind {
        case .duration: return DurationText.parse(canonical).map { $0.inSeconds }
        case .integer: return Double(canonical)
        }
    }
}

/// A refused setting value, naming the key.
public struct ClusterSettingError: Error, CustomStringConvertible, Equatable {
    public let key: String
    public let message: String

    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}
