import Foundation

/// Reading small JSON answers and stored payloads (never on the hot path).
enum JSONText {
    static func object(_ text: String) -> [String: Any]? {
        guard let data = text.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    static func stringField(_ key: String, in text: String) -> String? {
        object(text)?[key] as? String
    }
}
