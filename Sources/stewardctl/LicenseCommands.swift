import ArgumentParser
import Foundation
import StewardAppData
import StewardClient
import StewardLicense
import StewardModel

struct LicenseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "license",
        abstract: "License keys: the seats for users and agents, counted exactly across the cluster.",
        discussion: """
            A license is signed by an issuer; nodes trust the issuer keys in appdata/conf/license-issuers/. \
            A key added on any node counts on every node from the next grant on, with no restart; several keys add up. \
            With no key stored, a trial allowance applies (see docs/licenses.md). Adding and removing keys needs the admin role.

            keygen and issue work offline, for whoever issues licenses (the vendor; tests).
            """,
        subcommands: [LicenseShow.self, LicenseList.self, LicenseAdd.self, LicenseRemove.self, LicenseUsageCommand.self,
                      LicenseKeygen.self, LicenseIssue.self])
}

enum LicenseText {
    static func date(_ date: Date) -> String { LicenseStanding.dateText(date) }

    static func table(_ licenses: [LicenseInfo]) -> String {
        if licenses.isEmpty { return "no license keys are stored" }
        return Table.render(["ID", "LICENSEE", "USERS", "AGENTS", "STANDING", "EXPIRES", "GRACE ENDS"], licenses.map {
            [$0.id, $0.licensee, String($0.userSeats), String($0.agentSeats), $0.standing, date($0.expiresAt), date($0.graceEndsAt)]
        })
    }

    static func details(_ license: LicenseInfo) -> String {
        var pairs: [(String, String)] = [
            ("id", license.id), ("licensee", license.licensee), ("user seats", String(license.userSeats)),
            ("agent seats", String(license.agentSeats)), ("not before", date(license.notBefore)), ("expires", date(license.expiresAt)),
            ("grace", "\(license.graceDays) days, until \(date(license.graceEndsAt))"), ("standing", license.standing),
            ("grants seats", license.grantsSeats ? "yes" : "no"), ("issuer", license.issuer),
            ("added", "\(date(license.addedAt)) by \(license.addedBy)"),
        ]
        if let warning = license.warning { pairs.append(("warning", warning)) }
        return Table.pairs(pairs)
    }

    static func summary(_ summary: LicenseSummary) -> String {
        let seats = Table.render(["SEATS", "IN USE", "LICENSED", "FREE"], summary.seats.map {
            [$0.kind + ($0.trial ? " (trial)" : ""), String($0.inUse), String($0.licensed), String($0.free)]
        })
        let warnings = summary.warnings.map { "warning: \($0)" }
        return ([seats, "", table(summary.licenses)] + (warnings.isEmpty ? [] : [""] + warnings)).joined(separator: "\n")
    }
}

struct LicenseShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "The seats in use and licensed, the keys, and any warning; or one key, given its id.")
    @Argument(help: "A license id (optional).") var id: String?
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let client = try connection.client()
            if let id {
                try output.show(try await callServer(client) { try await $0.license(id) }, LicenseText.details)
            } else {
                try output.show(try await callServer(client) { try await $0.licenseSummary() }, LicenseText.summary)
            }
        }
    }
}

struct LicenseList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The stored license keys.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            try output.show(try await callServer(try connection.client()) { try await $0.licenses() }, LicenseText.table)
        }
    }
}

struct LicenseAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a license file; it counts on every node from the next grant on.",
        discussion: "Refused, with the reason, when its signature does not match, its issuer is not trusted, it is not a license file, or its grace has ended.")
    @Argument(help: "The license file (from `stewardctl license issue`).") var file: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            guard let data = FileManager.default.contents(atPath: file) else { throw Failure("cannot read \(file)") }
            let document = String(decoding: data, as: UTF8.self)
            let info = try await callServer(try connection.client()) { try await $0.addLicense(document) }
            try output.show(info) { info in
                "license \(info.id) added: \(info.userSeats) user seats, \(info.agentSeats) agent seats, expires \(LicenseText.date(info.expiresAt))"
                    + (info.warning.map { "\nwarning: \($0)" } ?? "")
            }
        }
    }
}

struct LicenseRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a license key.",
        discussion: "Allowed even when more seats are in use than the remaining keys license: those keep working, and no new seat is granted until usage is back under.")
    @Argument(help: "The license id.") var id: String
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let summary = try await callServer(try connection.client()) { try await $0.removeLicense(id) }
            try output.show(summary) { "license \(id) removed\n\n" + LicenseText.summary($0) }
        }
    }
}

struct LicenseUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Seats in use per hour, with the high-water mark, for the last days (90 at most).")
    @Option(help: "How many days back (1-90).") var days = 90
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await reportingFailures {
            let usage = try await callServer(try connection.client()) { try await $0.licenseUsage(days: days) }
            try output.show(usage) { usage in
                Table.render(["HOUR", "SEATS", "IN USE", "PEAK", "LICENSED"], usage.hours.map {
                    [LicenseText.date($0.hour), $0.kind, String($0.inUse), String($0.peak), String($0.licensed)]
                })
            }
        }
    }
}

struct LicenseKeygen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Make an issuer key pair: NAME.key (private, mode 0600) and NAME.pub.",
        discussion: "Nodes trust an issuer once NAME.pub is in appdata/conf/license-issuers/. Keep NAME.key away from the nodes: whoever holds it can issue licenses.")
    @Argument(help: "The path and name of the two files, without extension (e.g. keys/acme).") var name: String
    @Option(help: "A comment stored with the key (who issues with it).") var comment = ""

    func run() async throws {
        try await reportingFailures {
            let (privatePath, publicPath) = (name + ".key", name + ".pub")
            for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
                throw Failure("\(path) exists; a key is never overwritten")
            }
            guard !comment.contains(where: \.isNewline) else { throw Failure("a comment is one line") }
            let key = LicenseSigningKey(comment: comment)
            try AtomicFile.write(key.text, to: privatePath, permissions: 0o600)
            try AtomicFile.write(key.publicKey.text, to: publicPath, permissions: 0o644)
            print("issuer key \(key.publicKey.id): private key \(privatePath) (mode 0600), public key \(publicPath) (copy it to appdata/conf/license-issuers/)")
        }
    }
}

struct LicenseIssue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "Sign a license with an issuer's private key.",
        discussion: "Dates are ISO 8601: 2027-06-30 (midnight UTC) or 2027-06-30T12:00:00Z.")
    @Option(name: .customLong("issuer-key"), help: "The issuer's private key (from `license keygen`).") var issuerKey: String
    @Option(help: "Who the license is for.") var licensee: String
    @Option(help: "User seats.") var users: Int
    @Option(help: "Agent seats.") var agents: Int
    @Option(help: "When it expires (ISO 8601; a date alone is midnight UTC at its start).") var expires: String
    @Option(name: .customLong("not-before"), help: "When it starts to count (default: now).") var notBefore: String?
    @Option(name: .customLong("grace-days"), help: "Days after expiry in which it still grants seats, with warnings.") var graceDays = 14
    @Option(help: "The license id (default: a new one).") var id: String?
    @Option(help: "Write the license here (mode 0644) instead of to standard output.") var out: String?

    func run() async throws {
        try await reportingFailures {
            guard let data = FileManager.default.contents(atPath: issuerKey) else { throw Failure("cannot read \(issuerKey)") }
            let key = try LicenseSigningKey(text: String(decoding: data, as: UTF8.self), source: issuerKey)
            let license = License(
                id: id ?? "lic-" + UUID().uuidString.lowercased().prefix(13).replacingOccurrences(of: "-", with: ""),
                licensee: licensee, userSeats: users, agentSeats: agents,
                notBefore: try notBefore.map { try Self.date($0, "--not-before") } ?? Date(),
                expiresAt: try Self.date(expires, "--expires"), graceDays: graceDays)
            if let problem = license.problem { throw Failure("cannot issue: \(problem)") }
            let text = try SignedLicense.issue(license, with: key).text()
            if let out {
                guard !FileManager.default.fileExists(atPath: out) else { throw Failure("\(out) exists") }
                try AtomicFile.write(text, to: out, permissions: 0o644)
                FileHandle.standardError.write(Data("license \(license.id) written to \(out)\n".utf8))
            } else {
                print(text, terminator: "")
            }
        }
    }

    static func date(_ text: String, _ option: String) throws -> Date {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date }
        throw Failure("\(option): '\(text)' is not an ISO 8601 date (2027-06-30 or 2027-06-30T12:00:00Z)")
    }
}
