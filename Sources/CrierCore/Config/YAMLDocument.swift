import Yams

/// Parses a YAML document into a `ConfigNode`, reporting a syntax error as an issue.
public enum YAMLDocument {
    public static func parse(_ text: String, diagnostics: ConfigDiagnostics, expandsEnvironment: Bool,
                             environment: [String: String],
                             readFile: @escaping @Sendable (String) -> String? = { _ in nil }) -> ConfigNode? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                diagnostics.error("", "the file is empty")
                return nil
            }
            return ConfigNode(node: node, path: "", diagnostics: diagnostics, expandsEnvironment: expandsEnvironment,
                              environment: environment, source: SourceText(text), readFile: readFile)
        } catch let error as YamlError {
            if case .duplicatedKeysInMapping(let keys, let context) = error, let key = keys.first {
                // Yams marks the first occurrence (line 1 for a top-level key); the mistake is
                // usually the later one, so that is the line reported.
                let again = YAMLDocument.repeatedKeyLine(key, first: context.mark, in: text)
                let others = keys.count > 1 ? " (also given twice: \(keys.dropFirst().joined(separator: ", ")))" : ""
                diagnostics.error("", "invalid YAML: key '\(key)' is given twice (first at line \(context.mark.line))\(others)",
                                  line: again ?? context.mark.line)
                return nil
            }
            diagnostics.error("", "invalid YAML: \(YAMLDocument.describe(error))", line: YAMLDocument.line(of: error))
            return nil
        } catch {
            diagnostics.error("", "invalid YAML: \(error)")
            return nil
        }
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            if let context { return "\(problem) (\(context.text))" }
            return problem
        default:
            return "\(error)"
        }
    }

    /// The line of the second `key` in the mapping whose first `key` is at `first`. Yams
    /// gives no mark for it, so the text is read: in a block mapping every key of the map
    /// starts at the same column, and the map ends at the first line indented less; in a flow
    /// mapping (`{a: 1, a: 2}`) it is on the same line.
    static func repeatedKeyLine(_ key: String, first: Mark, in text: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let column = first.column - 1
        let spellings = [key, "'\(key)'", "\"\(key)\""]
        func isKey(_ rest: Substring) -> Bool {
            spellings.contains { spelling in
                rest.hasPrefix(spelling) && rest.dropFirst(spelling.count).drop { $0 == " " }.first == ":"
            }
        }
        let firstLine = Array(lines[first.line - 1].unicodeScalars)
        if column < firstLine.count {
            let after = String(String.UnicodeScalarView(firstLine[(column + 1)...]))
            var rest = Substring(after)
            while let separator = rest.firstIndex(where: { $0 == "," || $0 == "{" }) {
                rest = rest[rest.index(after: separator)...]
                if isKey(rest.drop { $0 == " " }) { return first.line }
            }
        }
        for index in first.line..<lines.count {
            let scalars = Array(lines[index].unicodeScalars)
            let indent = scalars.prefix { $0 == " " }.count
            guard indent < scalars.count, scalars[indent] != "#" else { continue }  // blank or comment
            if indent < column { break }  // the mapping ended
            if indent == column, isKey(Substring(String(String.UnicodeScalarView(scalars[indent...])))) { return index + 1 }
        }
        return nil
    }
}
