public import CrierCore

/// Prefixes that orchestrators and log viewers put in front of a container's own line:
/// `docker compose logs` (`web-1  | `, v1's `web_1  | `), `kubectl logs --prefix`
/// (`[pod/web-7c9/app] `), `docker logs -t` (an RFC3339Nano stamp), and the Kubernetes CRI
/// file format (`<time> stdout|stderr F|P `). The line they carry is parsed like any other
/// line, so its own timestamp, host and program win; the container's name becomes a field
/// (`container`, `pod`), and the host when the line names none.
extension TextLineParser {
    /// Parses what a container wrote, given apart from its frame: a Kubernetes partial
    /// line joined with its rest, or a Docker json-file `log` value. `extraFields` come
    /// first in the record's fields; `timestamp` is used when the line carries none.
    public mutating func parseContent(_ content: UnsafeRawBufferPointer, lineNumber: Int, timestamp: Timestamp?,
                                      extraFields: UnsafeBufferPointer<FieldEntry>, format: RecordFormat) -> RecordView {
        fields.reset(reserving: content.count)
        for f in extraFields { fields.append(key: f.key, value: f.value, kind: f.kind) }
        let line = content.firstOffset(of: 0x1B) == nil ? content : fields.withoutColour(content)
        var (view, frame) = self.frame(line, lineNumber: lineNumber, depth: 1)
        refine(&view, frame: frame)
        if view.timestamp == nil { view.timestamp = timestamp }
        view.format = format
        view.fields = fields.buffer
        return view
    }

    /// A Kubernetes CRI line's stream and tag, found without parsing its time:
    /// `2020-01-26T03:17:29.346494690+00:00 stderr P …`.
    public struct CRITag {
        /// Offset of the `P`/`F` tag; the content starts two bytes later.
        public var tag: Int
        public var partial: Bool
        public var stderr: Bool
    }

    public static func criTag(_ line: UnsafeRawBufferPointer) -> CRITag? {
        guard line.count >= 29, line[4] == 0x2D, line[10] == 0x54, let space = line.firstOffset(of: 0x20, from: 19),
              space < 40, space + 8 <= line.count else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: line[(space + 1)...])
        guard rest.hasPrefix("stdout ") || rest.hasPrefix("stderr ") else { return nil }
        let tag = rest[7]
        guard tag == 0x46 || tag == 0x50, rest.count == 8 || rest[8] == 0x20 else { return nil }
        return CRITag(tag: space + 8, partial: tag == 0x50, stderr: rest[3] == 0x65)
    }

    /// `docker compose logs` and `kubectl logs --prefix` at the start of a line.
    mutating func orchestratorPrefix(_ line: UnsafeRawBufferPointer, lineNumber: Int, depth: Int) -> (RecordView, Frame)? {
        guard let first = line.first else { return nil }
        if first == 0x5B {
            // `[pod/<name>/<container>] ` (kubectl ≥ 1.17).
            guard line.count > 8, let close = line.firstOffset(of: 0x5D), close < 320, close + 1 < line.count,
                  line[close + 1] == 0x20, let slash1 = line.firstOffset(of: 0x2F), slash1 < close else { return nil }
            guard let slash2 = line.firstOffset(of: 0x2F, from: slash1 + 1), slash2 < close, slash2 > slash1 + 1,
                  close > slash2 + 1 else { return nil }
            for k in 1..<slash1 where !((line[k] | 0x20) >= 0x61 && (line[k] | 0x20) <= 0x7A) { return nil }
            let pod = slice(line, slash1 + 1, slash2)
            fields.append("pod", pod)
            fields.append("container", slice(line, slash2 + 1, close))
            return carried(line, from: close + 2, lineNumber: lineNumber, depth: depth, stamp: nil, host: pod)
        }
        // `web-1  | `, `web_1  | `, `nginx.1    | `: the name padded to the longest one, then
        // `| ` (some versions wrote `|` and the text with no space).
        var k = 0
        while k < line.count && k < 128 {
            let c = line[k]
            guard (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D || c == 0x2E
            else { break }
            k += 1
        }
        guard k > 0, k < line.count, line[k] == 0x20 else { return nil }
        var bar = k
        while bar < line.count && line[bar] == 0x20 { bar += 1 }
        guard bar < line.count, line[bar] == 0x7C, bar + 1 == line.count || line[bar + 1] != 0x7C else { return nil }
        // `INFO | …` and `ERROR    | …` are a logger's columns (loguru), not a service.
        if Self.pythonLevelName(line, at: 0)?.0 == k { return nil }
        let name = slice(line, 0, k)
        fields.append("container", name)
        let start = bar + 1 < line.count && line[bar + 1] == 0x20 ? bar + 2 : bar + 1
        return carried(line, from: start, lineNumber: lineNumber, depth: depth, stamp: nil, host: name)
    }

    /// After an RFC 3339 stamp at the start of the line: a CRI line (`stdout F …`) or
    /// `docker logs -t` / `docker compose logs -t` (nanoseconds always nine digits).
    mutating func timestampedContainerLine(_ line: UnsafeRawBufferPointer, stamp: Timestamp, end: Int,
                                           lineNumber: Int, depth: Int) -> (RecordView, Frame)? {
        if let cri = Self.criTag(line), cri.tag == end + 8 {
            fields.append("stream", slice(line, end + 1, end + 7))
            return carried(line, from: min(cri.tag + 2, line.count), lineNumber: lineNumber, depth: depth, stamp: stamp, host: nil)
        }
        guard end >= 30, line[19] == 0x2E, line[29] == 0x5A || line[29] == 0x2B || line[29] == 0x2D else { return nil }
        for k in 20..<29 where !(line[k] >= 0x30 && line[k] <= 0x39) { return nil }
        return carried(line, from: end + 1, lineNumber: lineNumber, depth: depth, stamp: stamp, host: nil)
    }

    private mutating func carried(_ line: UnsafeRawBufferPointer, from: Int, lineNumber: Int, depth: Int,
                                  stamp: Timestamp?, host: UnsafeRawBufferPointer?) -> (RecordView, Frame) {
        let content = slice(line, from, line.count)
        var (view, frame) = self.frame(content, lineNumber: lineNumber, depth: depth + 1)
        if view.timestamp == nil { view.timestamp = stamp }
        if view.host.isEmpty, let host { view.host = host }
        return (view, frame)
    }
}
