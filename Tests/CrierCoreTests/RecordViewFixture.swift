import CrierCore

/// A record view over bytes the test owns: a message with syslog parts, or JSON fields.
/// The view is valid only inside `body`, as on the hot path.
func withView<R>(_ message: String, format: RecordFormat = .text, line: Int = 1, at t: Timestamp? = nil,
                 host: String = "", ident: String = "", pid: String = "", fields: [(String, String)] = [],
                 _ body: (inout RecordView) throws -> R) rethrows -> R {
    var storage: [UInt8] = []
    func add(_ text: String) -> Range<Int> {
        let start = storage.count
        storage += Array(text.utf8)
        return start..<storage.count
    }
    let m = add(message), h = add(host), i = add(ident), p = add(pid)
    let pairs = fields.map { (add($0.0), add($0.1)) }
    let entries = UnsafeMutableBufferPointer<FieldEntry>.allocate(capacity: max(1, pairs.count))
    defer { entries.deallocate() }
    return try storage.withUnsafeBytes { bytes in
        func slice(_ r: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[r]) }
        for (n, (k, v)) in pairs.enumerated() {
            entries[n] = FieldEntry(key: slice(k), value: slice(v), kind: .string)
        }
        var view = RecordView(line: line, format: format, timestamp: t, message: slice(m))
        view.host = slice(h)
        view.ident = slice(i)
        view.pid = slice(p)
        view.fields = UnsafeBufferPointer(rebasing: entries[..<pairs.count])
        return try body(&view)
    }
}
