import CrierCore

/// Fields a text line carries beyond host, ident and pid (a container's name, a logfmt
/// line's keys, an Apache line's level), and the bytes of values that had to be rewritten
/// (unescaped logfmt values, a line with its colour codes removed). Owned by one parser
/// and reused for every line: a view's fields and rewritten message stay valid until the
/// next line is parsed, like the view itself.
final class TextFieldBuffer {
    static let capacity = 64
    private let entries: UnsafeMutablePointer<FieldEntry>
    private(set) var count = 0
    private var bytes: UnsafeMutableRawPointer
    private var byteCapacity: Int
    private var byteCount = 0

    init() {
        entries = .allocate(capacity: TextFieldBuffer.capacity)
        byteCapacity = 4_096
        bytes = .allocate(byteCount: byteCapacity, alignment: 1)
    }

    deinit {
        entries.deallocate()
        bytes.deallocate()
    }

    var buffer: UnsafeBufferPointer<FieldEntry> {
        UnsafeBufferPointer(start: count == 0 ? nil : entries, count: count)
    }

    /// Forgets the previous line. The byte store only grows here, before anything points
    /// into it: rewritten values of one line never need more than the line's size, twice
    /// (colour codes removed, then logfmt values unescaped).
    func reset(reserving lineBytes: Int) {
        count = 0
        byteCount = 0
        let needed = 2 * lineBytes + 64
        if needed > byteCapacity {
            bytes.deallocate()
            byteCapacity = max(needed, byteCapacity * 2)
            bytes = .allocate(byteCount: byteCapacity, alignment: 1)
        }
    }

    func append(_ key: StaticString, _ value: UnsafeRawBufferPointer) {
        append(key: TextFieldBuffer.bytes(of: key), value: value)
    }

    func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, kind: FieldKind = .string) {
        guard count < TextFieldBuffer.capacity else { return }
        (entries + count).initialize(to: FieldEntry(key: key, value: value, kind: kind))
        count += 1
    }

    /// Where the fields and rewritten bytes of this line end, to undo a guess.
    var mark: (Int, Int) { (count, byteCount) }

    func rollback(to mark: (Int, Int)) {
        count = mark.0
        byteCount = mark.1
    }

    /// The value of a field added for this line.
    func value(_ key: StaticString) -> UnsafeRawBufferPointer? {
        let k = TextFieldBuffer.bytes(of: key)
        for i in 0..<count where entries[i].key.count == k.count && entries[i].key.elementsEqual(k) {
            return entries[i].value
        }
        return nil
    }

    /// Room for `n` rewritten bytes; nil when the line's reserve is used up.
    func reserve(_ n: Int) -> UnsafeMutableRawBufferPointer? {
        guard byteCount + n <= byteCapacity else { return nil }
        let out = UnsafeMutableRawBufferPointer(start: bytes + byteCount, count: n)
        byteCount += n
        return out
    }

    /// Gives back the unused tail of the last `reserve`.
    func shrinkLast(by n: Int) { byteCount -= n }

    /// `line` without ANSI SGR sequences (`ESC[…m`, `ESC[K`), as docker compose and
    /// uvicorn write them on a terminal; the line itself when there is no room.
    func withoutColour(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let out = reserve(line.count) else { return line }
        var n = 0
        var i = 0
        while i < line.count {
            if line[i] == 0x1B && i + 1 < line.count && line[i + 1] == 0x5B {
                var j = i + 2
                while j < line.count && (line[j] >= 0x30 && line[j] <= 0x3F) { j += 1 }
                if j < line.count && line[j] >= 0x40 && line[j] <= 0x7E {
                    i = j + 1
                    continue
                }
            }
            out[n] = line[i]
            n += 1
            i += 1
        }
        shrinkLast(by: line.count - n)
        return UnsafeRawBufferPointer(rebasing: out[0..<n])
    }

    static func bytes(of s: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
    }
}
