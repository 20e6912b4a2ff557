import Foundation

/// One line of the migration journal. Fields are separated by tabs; paths are percent-escaped
/// only where they hold `%`, a tab, a line break or another control character, so the journal
/// stays readable with `less` and `grep`.
public enum JournalRecord: Equatable, Sendable {
    /// A file verified and renamed into place: its size, its modification time and SHA-256.
    public struct File: Equatable, Sendable {
        public let relative: String
        public let size: Int64
        public let modified: FileTime
        public let sha256: String
        /// The copy's inode and change time once in place (nil in journals written before they were recorded).
        public let stamp: CopyStamp?

        public init(relative: String, size: Int64, modified: FileTime, sha256: String, stamp: CopyStamp? = nil) {
            self.relative = relative
            self.size = size
            self.modified = modified
            self.sha256 = sha256
            self.stamp = stamp
        }
    }

    case header
    case source(MigrationSource.Kind, String)
    case begin(String)
    case file(File)
    case link(relative: String, target: String)
    /// A source folder whose permissions and times have been applied.
    case directory(String)
    /// A folder created to complete the appdata layout (it has no original).
    case layout(String)
    case copied(files: Int, bytes: Int64, time: String)
    case properties(file: String, backup: String, time: String)
    case complete(String)
    case deleteStarted(String)
    case originalsDeleted(String)

    static let headerText = "steward-migration-journal 1"

    var line: String {
        let fields: [String]
        switch self {
        case .header: return Self.headerText
        case .source(let kind, let path): fields = ["source", kind.rawValue, Self.escape(path)]
        case .begin(let time): fields = ["begin", time]
        case .file(let file):
            fields = ["file", Self.escape(file.relative), String(file.size), file.modified.description, file.sha256]
                + (file.stamp.map { [String($0.inode), $0.changed.description] } ?? [])
        case .link(let relative, let target): fields = ["link", Self.escape(relative), Self.escape(target)]
        case .directory(let relative): fields = ["dir", Self.escape(relative)]
        case .layout(let relative): fields = ["layout", Self.escape(relative)]
        case .copied(let files, let bytes, let time): fields = ["copied", String(files), String(bytes), time]
        case .properties(let file, let backup, let time): fields = ["properties", Self.escape(file), Self.escape(backup), time]
        case .complete(let time): fields = ["complete", time]
        case .deleteStarted(let time): fields = ["delete-started", time]
        case .originalsDeleted(let time): fields = ["originals-deleted", time]
        }
        return fields.joined(separator: "\t")
    }

    init?(line: String) {
        if line == Self.headerText {
            self = .header
            return
        }
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let kind = fields.first else { return nil }
        switch (kind, fields.count) {
        case ("source", 3):
            guard let sourceKind = MigrationSource.Kind(rawValue: fields[1]), let path = Self.unescape(fields[2]) else { return nil }
            self = .source(sourceKind, path)
        case ("begin", 2): self = .begin(fields[1])
        case ("file", 5), ("file", 7):
            guard let relative = Self.unescape(fields[1]), let size = Int64(fields[2]), let modified = FileTime(text: fields[3]),
                  fields[4].count == 64 else { return nil }
            var stamp: CopyStamp?
            if fields.count == 7 {
                guard let inode = UInt64(fields[5]), let changed = FileTime(text: fields[6]) else { return nil }
                stamp = CopyStamp(inode: inode, changed: changed)
            }
            self = .file(File(relative: relative, size: size, modified: modified, sha256: fields[4], stamp: stamp))
        case ("link", 3):
            guard let relative = Self.unescape(fields[1]), let target = Self.unescape(fields[2]) else { return nil }
            self = .link(relative: relative, target: target)
        case ("dir", 2):
            guard let relative = Self.unescape(fields[1]) else { return nil }
            self = .directory(relative)
        case ("layout", 2):
            guard let relative = Self.unescape(fields[1]) else { return nil }
            self = .layout(relative)
        case ("copied", 4):
            guard let files = Int(fields[1]), let bytes = Int64(fields[2]) else { return nil }
            self = .copied(files: files, bytes: bytes, time: fields[3])
        case ("properties", 4):
            guard let file = Self.unescape(fields[1]), let backup = Self.unescape(fields[2]) else { return nil }
            self = .properties(file: file, backup: backup, time: fields[3])
        case ("complete", 2): self = .complete(fields[1])
        case ("delete-started", 2): self = .deleteStarted(fields[1])
        case ("originals-deleted", 2): self = .originalsDeleted(fields[1])
        default: return nil
        }
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar == "%" || scalar.value < 0x20 || scalar.value == 0x7F {
                result += "%" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16, uppercase: true)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func unescape(_ text: String) -> String? {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                  let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
