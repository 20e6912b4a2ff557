import Foundation

/// Every WebSocket message between agents and nodes is one JSON envelope:
/// `{"v": 1, "type": "hello", "body": {...}}`. The version lets either side refuse what it cannot
/// read with a clear error instead of guessing; the type selects the body's shape.
public enum AgentProtocol {
    public static let version = 1
    /// The WebSocket path on `server.websocket.port`.
    public static let path = "/ws/agent"
}

public struct Envelope<Body: Codable & Sendable>: Codable, Sendable {
    public let v: Int
    public let type: String
    public let body: Body

    public init(type: String, body: Body, version: Int = AgentProtocol.version) {
        self.v = version
        self.type = type
        self.body = body
    }
}

/// The part of an envelope read before the body's type is known.
public struct EnvelopeHeader: Codable, Sendable {
    public let v: Int
    public let type: String
}

public enum EnvelopeCoding {
    public static func encode<Body: Codable & Sendable>(_ type: String, _ body: Body) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(Envelope(type: type, body: body)), as: UTF8.self)
    }

    public static func header(_ text: String) throws -> EnvelopeHeader {
        try JSONDecoder().decode(EnvelopeHeader.self, from: Data(text.utf8))
    }

    public static func decode<Body: Codable & Sendable>(_ text: String, as: Body.Type) throws -> Envelope<Body> {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Envelope<Body>.self, from: Data(text.utf8))
    }
}
