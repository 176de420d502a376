import Foundation

/// How values are stored as JSON: the value's own keys plus `"version"`, the format it was
/// written in. A reader refuses a version newer than it knows (that row is reported and
/// skipped, never a startup failure) and reads a missing one as 0, the same layout written
/// before versions were recorded.
enum StoredJSON {
    /// 1: the layouts of crier 0.x with explicit coding keys (documented in `StateSchema`).
    static let version = 1

    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(Versioned(value: value)), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(Unversioned<T>.self, from: Data(json.utf8)).value
    }

    /// A short reason for a value that could not be read, for logs and `crier history`.
    static func problem(_ error: any Error) -> String {
        switch error {
        case let e as NewerFormat: return "written by a newer crier (format version \(e.version), this crier reads up to \(version))"
        case DecodingError.keyNotFound(let key, let c):
            return "missing \(path(c.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "unexpected value at \(path(c.codingPath)): \(c.debugDescription)"
        case DecodingError.dataCorrupted(let c):
            return "not valid JSON at \(path(c.codingPath)): \(c.debugDescription)"
        default: return "\(error)"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the top" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    struct NewerFormat: Error { var version: Int }

    enum VersionKey: String, CodingKey { case version }

    /// Encodes the value into its own keyed container and adds `version` beside its keys.
    struct Versioned<T: Encodable>: Encodable {
        var value: T

        func encode(to encoder: any Encoder) throws {
            try value.encode(to: encoder)
            var container = encoder.container(keyedBy: VersionKey.self)
            try container.encode(StoredJSON.version, forKey: .version)
        }
    }

    struct Unversioned<T: Decodable>: Decodable {
        var value: T

        init(from decoder: any Decoder) throws {
            let version = try decoder.container(keyedBy: VersionKey.self).decodeIfPresent(Int.self, forKey: .version) ?? 0
            guard version <= StoredJSON.version else { throw NewerFormat(version: version) }
            value = try T(from: decoder)
        }
    }
}
