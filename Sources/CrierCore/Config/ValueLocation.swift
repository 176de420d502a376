/// Where a text value was written, precisely enough to point at one character inside it: a
/// regex that PCRE2 refuses at byte 19 is reported at the line and column of that byte in
/// the file, whether the pattern was written plain, quoted, with escapes, or as a block.
public struct ValueLocation: Hashable, Sendable {
    /// How the value was written; each style maps decoded bytes to source text differently.
    public enum Style: Hashable, Sendable {
        case plain, singleQuoted, doubleQuoted, block
    }

    /// The value's first character (for quoted values the quote, for blocks the `|`/`>`).
    public var location: SourceLocation
    public var style: Style
    /// The file from the value's line on; not part of equality.
    let source: Substring

    public init(location: SourceLocation, style: Style, source: Substring) {
        self.location = location
        self.style = style
        self.source = source
    }

    public static func == (a: ValueLocation, b: ValueLocation) -> Bool { a.location == b.location && a.style == b.style }
    public func hash(into hasher: inout Hasher) { hasher.combine(location) }

    /// The line and column of the character holding byte `offset` of the decoded value.
    /// When the source cannot be followed (an unusual fold), the value's start.
    public func location(ofByte offset: Int) -> SourceLocation {
        guard let line = location.line, let column = location.column,
              let (lineDelta, col) = position(ofByte: offset, startColumn: column) else { return location }
        var at = location
        at.line = line + lineDelta
        at.column = col
        return at
    }

    /// The place of (1-based) `line` and `column` of the decoded `value`: a template error's
    /// position, counted in characters, as a place in the file.
    public func location(ofLine line: Int, column: Int, in value: String) -> SourceLocation {
        var offset = 0
        for (n, text) in value.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if n + 1 == line { return location(ofByte: offset + text.prefix(max(0, column - 1)).utf8.count) }
            offset += text.utf8.count + 1
        }
        return location
    }

    /// (lines after the first, 1-based column) of decoded byte `offset`.
    func position(ofByte offset: Int, startColumn: Int) -> (Int, Int)? {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        guard let first = lines.first, startColumn - 1 <= first.count else { return nil }
        if style == .block { return blockPosition(ofByte: offset, lines: lines) }
        var lineIndex = 0
        var i = startColumn - 1
        var decoded = 0
        if style != .plain { i += 1 }  // the opening quote
        while lineIndex < lines.count {
            let line = lines[lineIndex]
            while i < line.count {
                let c = line[i]
                var width = 1  // source scalars this decoded character takes
                var bytes = String(c).utf8.count
                switch style {
                case .singleQuoted:
                    if c == "'" {
                        // The closing quote stands for the end of the value.
                        guard i + 1 < line.count, line[i + 1] == "'" else { return (lineIndex, i + 1) }
                        width = 2
                    }
                case .doubleQuoted:
                    if c == "\"" { return (lineIndex, i + 1) }
                    if c == "\\", i + 1 < line.count {
                        (width, bytes) = ValueLocation.escape(line, at: i + 1)
                    }
                default:
                    break
                }
                if decoded + bytes > offset { return (lineIndex, i + 1) }
                decoded += bytes
                i += width
            }
            // A line break inside a flow value folds into one space.
            if decoded + 1 > offset { return (lineIndex, i + 1) }
            decoded += 1
            lineIndex += 1
            guard lineIndex < lines.count else { return nil }
            i = lines[lineIndex].prefix { $0 == " " || $0 == "\t" }.count
        }
        return nil
    }

    /// `|` and `>` blocks: content lines follow the indicator, at the first line's indent.
    func blockPosition(ofByte offset: Int, lines: [[Unicode.Scalar]]) -> (Int, Int)? {
        let content = lines.dropFirst()
        guard let firstText = content.firstIndex(where: { $0.contains { $0 != " " } }) else { return nil }
        let indent = lines[firstText].prefix { $0 == " " }.count
        var decoded = 0
        var end: (Int, Int)?
        for index in content.indices {
            let text = lines[index].dropFirst(indent)
            // A line indented less ends the block: an offset past it is the block's end.
            if !lines[index].isEmpty && lines[index].prefix(indent).contains(where: { $0 != " " }) { break }
            for (n, c) in text.enumerated() {
                let bytes = String(c).utf8.count
                if decoded + bytes > offset { return (index, indent + n + 1) }
                decoded += bytes
            }
            if !text.isEmpty { end = (index, indent + text.count + 1) }
            if decoded + 1 > offset { return (index, indent + text.count + 1) }
            decoded += 1
        }
        return end
    }

    /// A double-quoted escape after its backslash: (source scalars including the backslash,
    /// decoded UTF-8 bytes).
    static func escape(_ line: [Unicode.Scalar], at i: Int) -> (Int, Int) {
        func hex(_ digits: Int) -> (Int, Int) {
            let text = String(String.UnicodeScalarView(line[(i + 1)..<min(line.count, i + 1 + digits)]))
            let value = UInt32(text, radix: 16).flatMap(Unicode.Scalar.init) ?? " "
            return (2 + digits, String(value).utf8.count)
        }
        switch line[i] {
        case "x": return hex(2)
        case "u": return hex(4)
        case "U": return hex(8)
        case "N", "_": return (2, 2)  // U+0085, U+00A0
        case "L", "P": return (2, 3)  // U+2028, U+2029
        default: return (2, 1)
        }
    }
}
