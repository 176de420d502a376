import Foundation

/// Build tool run by the EmbedPacks plugin: `PackEmbedder OUTPUT.swift DIR/NAME/pack.yaml…`
/// writes `EmbeddedPacks.all`, pack name (its directory's name) → the file's exact text.
@main
struct PackEmbedder {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let output = arguments.first else {
            FileHandle.standardError.write(Data("usage: PackEmbedder OUTPUT.swift PACK.yaml…\n".utf8))
            exit(2)
        }
        var source = """
            // Generated at build time by the EmbedPacks plugin from patterns/*/pack.yaml.

            enum EmbeddedPacks {
                static let all: [String: String] = [

            """
        for path in arguments.dropFirst() {
            let url = URL(fileURLWithPath: path)
            let name = url.deletingLastPathComponent().lastPathComponent
            let data = try Data(contentsOf: url)
            guard let text = String(data: data, encoding: .utf8) else {
                FileHandle.standardError.write(Data("\(path): error: a pack file must be UTF-8 text\n".utf8))
                exit(1)
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                FileHandle.standardError.write(Data("\(path): error: a pack directory name uses letters, digits, '_' and '-' only\n".utf8))
                exit(1)
            }
            source += "        \"\(name)\": \(literal(text)),\n"
        }
        source += "    ]\n}\n"
        // Rewritten only when it changes, so an unchanged pack recompiles nothing.
        if (try? String(contentsOfFile: output, encoding: .utf8)) != source {
            try source.write(toFile: output, atomically: true, encoding: .utf8)
        }
    }

    /// A Swift multi-line string literal holding exactly `text`: lines stay readable in the
    /// generated file; backslashes, quotes and control characters other than tab are escaped,
    /// so no content can end the literal or start an interpolation.
    static func literal(_ text: String) -> String {
        var out = "\"\"\"\n"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n", "\t": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        // The line break before the closing delimiter is not part of a multi-line literal.
        return out + "\n\"\"\""
    }
}
