/// A document's text with its line starts found once, so that every value can keep a view
/// of the file from its own line on without walking the file again.
final class SourceText: Sendable {
    let text: String
    let lineStarts: [String.Index]

    init(_ text: String) {
        self.text = text
        var starts = [text.startIndex]
        var i = text.startIndex
        while let newline = text[i...].firstIndex(of: "\n") {
            i = text.index(after: newline)
            starts.append(i)
        }
        lineStarts = starts
    }

    /// The text from the start of 1-based `line` to the end.
    func fromLine(_ line: Int) -> Substring {
        guard line >= 1, line <= lineStarts.count else { return text[text.endIndex...] }
        return text[lineStarts[line - 1]...]
    }
}
