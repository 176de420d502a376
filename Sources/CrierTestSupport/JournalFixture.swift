public import Foundation

/// Real journal files for tests, written by `systemd-journal-remote` from journal export
/// format (Debian package systemd-journal-remote, installed by `make install-deps`).
public enum JournalFixture {
    public static let remote = ["/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    public static var available: Bool { remote != nil }

    /// One entry: fields in order; values are bytes (binary-safe export when not plain text).
    public struct Entry {
        public var fields: [(String, [UInt8])]
        public init(_ fields: [(String, [UInt8])]) { self.fields = fields }

        /// A typical sshd/celery entry at `realtime` µs, with monotonic time `index` s.
        public static func text(_ message: String, realtime: Int64, index: Int, unit: String = "ssh.service",
                                identifier: String = "sshd", extra: [(String, String)] = []) -> Entry {
            var f: [(String, [UInt8])] = [
                ("__REALTIME_TIMESTAMP", Array(String(realtime).utf8)),
                ("__MONOTONIC_TIMESTAMP", Array(String(1_000_000 + index * 1_000).utf8)),
                ("_BOOT_ID", Array("4f0c2d1e2f3a4b5c6d7e8f9a0b1c2d3e".utf8)),
                ("_HOSTNAME", Array("worker-1".utf8)),
                ("_SYSTEMD_UNIT", Array(unit.utf8)),
                ("SYSLOG_IDENTIFIER", Array(identifier.utf8)),
                ("_PID", Array("4242".utf8)),
                ("MESSAGE", Array(message.utf8)),
            ]
            f += extra.map { ($0.0, Array($0.1.utf8)) }
            return Entry(f)
        }
    }

    /// Export format: `KEY=value` lines, or KEY, newline, 64-bit little-endian length, bytes
    /// for values with newlines or bytes that are not text.
    public static func export(_ entries: [Entry]) -> Data {
        var out = Data()
        for entry in entries {
            for (key, value) in entry.fields {
                let plain = !value.contains(0x0A) && value.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
                if plain {
                    out.append(contentsOf: Array(key.utf8) + [0x3D] + value + [0x0A])
                } else {
                    out.append(contentsOf: Array(key.utf8) + [0x0A])
                    var length = UInt64(value.count).littleEndian
                    withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
                    out.append(contentsOf: value + [0x0A])
                }
            }
            out.append(0x0A)
        }
        return out
    }

    /// Appends `entries` to `directory/remote.journal` (created if needed).
    public static func write(_ entries: [Entry], to directory: String) throws {
        guard let remote else { throw FixtureError("systemd-journal-remote is not installed (make install-deps)") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let input = "\(directory)/.in-\(UUID().uuidString).export"
        _ = FileManager.default.createFile(atPath: input, contents: export(entries))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: remote)
        p.arguments = ["--output=\(directory)/remote.journal", input]
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw FixtureError("systemd-journal-remote exited with \(p.terminationStatus)") }
    }

    public struct FixtureError: Error, CustomStringConvertible {
        public var description: String
        init(_ d: String) { description = d }
    }
}
