import Yams

/// A YAML mapping being read key by key; `finish()` reports every key nobody asked for.
public final class ConfigMap {
    public let node: ConfigNode
    private var entries: [(key: String, node: Node, keyLine: Int?)] = []
    private var consumed: Set<String> = []

    init(_ node: ConfigNode) {
        self.node = node
        guard case .mapping(let mapping) = node.node else { return }
        var seen: Set<String> = []
        for (k, v) in mapping {
            let key = k.string ?? "?"
            if !seen.insert(key).inserted {
                node.diagnostics.error(node.path.isEmpty ? key : "\(node.path).\(key)", "key is given twice",
                                       line: k.mark?.line)
            }
            entries.append((key, v, k.mark?.line))
        }
    }

    public var path: String { node.path }
    public var keys: [String] { entries.map(\.key) }

    public func childPath(_ key: String) -> String { node.path.isEmpty ? key : "\(node.path).\(key)" }

    /// The value at `key`, or nil when absent or null. Marks the key as known.
    public subscript(key: String) -> ConfigNode? {
        consumed.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        let child = node.child(entry.node, path: childPath(key))
        return child.isNull ? nil : child
    }

    public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    public func string(_ key: String) -> String? { self[key]?.string() }
    public func bool(_ key: String) -> Bool? { self[key]?.bool() }
    public func duration(_ key: String, allowZero: Bool = true) -> Duration? {
        self[key]?.duration(allowZero: allowZero)
    }

    /// Reports a missing required key at this mapping's line.
    public func require(_ key: String, _ message: String = "is required") -> ConfigNode? {
        if let value = self[key] { return value }
        missing(key, message)
        return nil
    }

    /// An issue about a key that is not there, at this mapping's line.
    public func missing(_ key: String, _ message: String) {
        node.diagnostics.error(childPath(key), message, line: node.line)
    }

    /// Takes every key as read: when the entry's root problem (an unknown `type`) was
    /// reported, its other keys cannot be judged, and calling them unknown would be noise.
    public func ignoreRemainingKeys() {
        consumed.formUnion(entries.map(\.key))
    }

    /// A secret given inline (`key`) or in a file (`fileKey`: a systemd credential, a
    /// Kubernetes secret). The file is read when the config is loaded; its trailing newline
    /// is how files end, not part of the secret.
    public func secret(_ key: String, file fileKey: String) -> Secret? {
        let inline = string(key)
        guard let fileNode = self[fileKey], let path = fileNode.string() else { return inline.map(Secret.init) }
        if inline != nil { fileNode.error("give \(key) or \(fileKey), not both") }
        guard let text = fileNode.readFile(path) else {
            fileNode.error("cannot read \(path)")
            return nil
        }
        var trimmed = Substring(text)
        while let last = trimmed.last, last == "\n" || last == "\r" || last == " " { trimmed = trimmed.dropLast() }
        return Secret(String(trimmed))
    }

    /// Every entry, in file order, for free-form maps (fields, labels, headers).
    public func pairs() -> [(key: String, value: ConfigNode)] {
        ConfigKeyLog.active?.noteFreeForm(at: path)
        return entries.map { entry in
            consumed.insert(entry.key)
            return (entry.key, node.child(entry.node, path: childPath(entry.key)))
        }
    }

    /// Reports keys that were never read, with the closest known key as a hint.
    public func finish(known extra: [String] = []) {
        let known = consumed.union(extra)
        ConfigKeyLog.active?.noteKeys(known, at: path)
        for entry in entries where !known.contains(entry.key) {
            var message = "unknown key"
            if let hint = ConfigMap.closest(to: entry.key, in: Array(known)) { message += " (did you mean '\(hint)'?)" }
            node.diagnostics.error(childPath(entry.key), message, line: entry.keyLine)
        }
    }

    static func closest(to key: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= max(2, key.count / 3) }
        return scored.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1,
                                       previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
