import StewardTesting
import Testing

/// Polls until `condition` holds.
func waitFor(_ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw HarnessError("timed out waiting for \(what)")
}

/// Polls a log file until `text` occurs at least `count` times.
func waitFor(_ what: String, in file: String, count: Int, text: String, timeout: Duration = .seconds(15)) async throws {
    try await waitFor(what, timeout: timeout) {
        let content = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return content.components(separatedBy: text).count - 1 >= count
    }
}

/// Starts node `name` expecting it to refuse to start: exit status 1, and each of `messages` in
/// what it printed. Returns that output for further checks.
@discardableResult
func expectRefused(_ cluster: TestCluster, _ name: String, extra: [String: String?] = [:], arguments: [String] = [],
                   saying messages: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
    let (status, output) = try await cluster.refusal(name, extra: extra, arguments: arguments)
    #expect(status == 1, "the exit status of \(name) that should refuse: \(output)", sourceLocation: sourceLocation)
    for message in messages {
        #expect(output.contains(message), "\(output)", sourceLocation: sourceLocation)
    }
    return output
}
