import CrierCore
import CrierRuntime
import CrierTestSupport
import Foundation
import Testing

/// docs/CONFIGURATION.md and docs/RULES.md held to the config readers: every key a reader
/// accepts is documented, and every documented key is accepted. The keys are discovered by
/// running the readers (ConfigKeyLog), never listed here, so a key added to a reader, a
/// notifier kind or a source type fails this test until it is documented.
@Suite struct ConfigReferenceTests {
    static let docs = "\(Repository.root())/docs"

    @Test func configurationReferenceMatchesTheReaders() throws {
        let reference = try DocumentedKeys(files: ["\(Self.docs)/CONFIGURATION.md", "\(Self.docs)/RULES.md"])
        // No shipped packs: a probe must not compile 200 regexes to say which keys it read.
        let loader = ConfigLoader(environment: [:], catalog: PackCatalog(embedded: [:]))
        let explorer = ReaderExplorer(scope: "config", reference: reference) { text in
            do throws(ConfigError) {
                return try loader.load(text: text, origin: "probe.yaml").warnings
            } catch {
                return error.issues
            }
        }
        explorer.explore()
        reference.check(explorer)
        // The sections a user meets first are really there (the explorer found them).
        for section in ["", "sources[]", "notifiers[]", "routes[]", "digests[]", "defaults", "server", "rules[]"] {
            #expect(explorer.visited.contains(section), "section '\(section)' was not reached")
        }
    }

    @Test func packFileReferenceMatchesTheReaders() throws {
        let reference = try DocumentedKeys(files: ["\(Self.docs)/RULES.md"])
        let explorer = ReaderExplorer(scope: "pack", reference: reference) { text in
            let diagnostics = ConfigDiagnostics(file: "probe.yaml")
            _ = PackDefinition.parse(text, file: "probe.yaml", fallbackName: "probe", diagnostics: diagnostics)
            return diagnostics.issues
        }
        explorer.explore()
        reference.check(explorer)
        for section in ["", "rules[]", "rules[].start", "rules[].end", "rules[].expect"] {
            #expect(explorer.visited.contains(section), "section '\(section)' was not reached")
        }
    }

    /// The reference's tables say a key's type, default and why, not just its name.
    @Test func everyDocumentedKeyHasTypeDefaultAndMeaning() throws {
        let reference = try DocumentedKeys(files: ["\(Self.docs)/CONFIGURATION.md", "\(Self.docs)/RULES.md"])
        #expect(reference.sections.count > 10)
        for (id, section) in reference.sections {
            for row in section.rows {
                #expect(row.count >= 4 && row.prefix(4).allSatisfy { !$0.isEmpty },
                        "\(section.file):\(section.line) \(id): a row needs key | type | default | meaning: \(row)")
            }
        }
    }
}

/// The documented sections: a `<!-- keys: SCOPE [PATH] [type=VALUE] -->` marker, then a
/// table whose first column names the keys in backticks. `<!-- keys: SCOPE PATH as SCOPE2
/// PATH2 -->` says that a section and everything below it is documented elsewhere (the
/// config's `rules:` are a pack's rules).
final class DocumentedKeys {
    struct ID: Hashable, CustomStringConvertible {
        var scope: String
        var path: String
        var type: String?
        var description: String { "\(scope) \(path.isEmpty ? "(top level)" : path)" + (type.map { " type=\($0)" } ?? "") }
    }

    struct Section {
        var keys: Set<String>
        var rows: [[String]]
        var file: String
        var line: Int
    }

    private(set) var sections: [ID: Section] = [:]
    private(set) var aliases: [(from: (scope: String, path: String), to: (scope: String, path: String))] = []

    init(files: [String]) throws {
        for file in files {
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            var i = 0
            while i < lines.count {
                defer { i += 1 }
                let line = lines[i].trimmingCharacters(in: .whitespaces)
                guard line.hasPrefix("<!-- keys:"), line.hasSuffix("-->") else { continue }
                let words = line.dropFirst("<!-- keys:".count).dropLast(3).split(separator: " ").map(String.init)
                if let asIndex = words.firstIndex(of: "as"), words.count == asIndex + 3 {
                    aliases.append(((words[0], asIndex > 1 ? words[1] : ""), (words[asIndex + 1], words[asIndex + 2])))
                    continue
                }
                var id = ID(scope: words.first ?? "", path: "")
                for word in words.dropFirst() {
                    if word.hasPrefix("type=") { id.type = String(word.dropFirst(5)) } else { id.path = word }
                }
                // The table after the marker (blank lines and prose may come first).
                var j = i + 1
                while j < lines.count && !lines[j].hasPrefix("|") && !lines[j].hasPrefix("<!-- keys:") && !lines[j].hasPrefix("#") { j += 1 }
                var section = Section(keys: [], rows: [], file: URL(fileURLWithPath: file).lastPathComponent, line: i + 1)
                var rowIndex = 0
                while j < lines.count && lines[j].hasPrefix("|") {
                    defer { j += 1; rowIndex += 1 }
                    if rowIndex < 2 { continue }  // header and separator
                    let cells = lines[j].split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                        .map { $0.trimmingCharacters(in: .whitespaces) }
                    section.rows.append(cells)
                    section.keys.formUnion(cells.first.map(Self.backticked) ?? [])
                }
                #expect(sections[id] == nil, "\(file):\(i + 1): \(id) is documented twice")
                sections[id] = section
            }
        }
    }

    /// `a`, `b` in "`a` / `b`".
    static func backticked(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// Where a reader's section is documented, following `as` aliases.
    func resolve(scope: String, path: String) -> (scope: String, path: String) {
        for alias in aliases where alias.from.scope == scope
            && (path == alias.from.path || path.hasPrefix(alias.from.path + ".") || path.hasPrefix(alias.from.path + "[")) {
            return (alias.to.scope, alias.to.path + path.dropFirst(alias.from.path.count))
        }
        return (scope, path)
    }

    func documentedTypes(scope: String, path: String) -> Set<String> {
        let (s, p) = resolve(scope: scope, path: path)
        return Set(sections.keys.filter { $0.scope == s && $0.path == p }.compactMap(\.type))
    }

    func section(scope: String, path: String, type: String?) -> Section? {
        let (s, p) = resolve(scope: scope, path: path)
        return sections[ID(scope: s, path: p, type: type)]
    }

    /// Both directions, for every section and variant the explorer reached.
    func check(_ explorer: ReaderExplorer) {
        var reached: Set<ID> = []
        for found in explorer.found {
            let (s, p) = resolve(scope: explorer.scope, path: found.path)
            let name = ID(scope: s, path: p, type: found.type)
            let common = section(scope: explorer.scope, path: found.path, type: nil)
            let own = found.type.map { section(scope: explorer.scope, path: found.path, type: $0) } ?? common
            guard let own else {
                Issue.record("\(name): the readers accept \(found.keys.sorted()) here, but no `<!-- keys: \(name) -->` section documents it")
                continue
            }
            reached.insert(name)
            if found.type != nil { reached.insert(ID(scope: s, path: p, type: nil)) }
            let documented = own.keys.union(found.type != nil ? common?.keys ?? [] : [])
            let undocumented = found.keys.subtracting(documented)
            let unaccepted = documented.subtracting(found.keys)
            #expect(undocumented.isEmpty, "\(name): accepted by the reader but not documented: \(undocumented.sorted())")
            #expect(unaccepted.isEmpty, "\(name): documented (\(own.file):\(own.line)) but not accepted: \(unaccepted.sorted())")
            if let type = found.type {
                #expect(found.typeAccepted, "\(name): documented type '\(type)' is refused by the reader")
            }
        }
        for (id, section) in sections where id.scope == explorer.scope && !reached.contains(id) {
            Issue.record("\(section.file):\(section.line): \(id) is documented but no reader reads such a section")
        }
    }
}

/// Finds every section the readers accept by feeding them probe documents: a mapping is a
/// section when its reader finishes it; each accepted key is tried as a mapping and as a
/// list of mappings to find the sections below; a `type` key is tried with every value its
/// `oneOf` accepts and every value the reference documents.
final class ReaderExplorer {
    struct Step {
        var key: String
        var list: Bool
        /// The `type:` of the mapping this step reaches.
        var type: String?
    }

    struct Found {
        var path: String
        var type: String?
        var keys: Set<String>
        var typeAccepted: Bool
    }

    let scope: String
    let reference: DocumentedKeys
    /// Reads a probe document (JSON, which is YAML) and returns its issues.
    let read: (String) -> [ConfigIssue]
    private(set) var found: [Found] = []
    private(set) var visited: Set<String> = []
    private(set) var freeForm: Set<String> = []

    init(scope: String, reference: DocumentedKeys, read: @escaping (String) -> [ConfigIssue]) {
        self.scope = scope
        self.reference = reference
        self.read = read
    }

    func explore() { visit([]) }

    static func path(_ steps: [Step]) -> String {
        steps.reduce("") { path, step in (path.isEmpty ? step.key : "\(path).\(step.key)") + (step.list ? "[]" : "") }
    }

    /// The document whose innermost mapping is reached by `steps`.
    static func document(_ steps: [Step]) -> String {
        func value(_ rest: ArraySlice<Step>, type: String?) -> Any {
            var map: [String: Any] = [:]
            if let type { map["type"] = type }
            if let step = rest.first {
                let inner = value(rest.dropFirst(), type: step.type)
                map[step.key] = step.list ? [inner] : inner
            }
            return map
        }
        let object = value(steps[...], type: nil)
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    func probe(_ steps: [Step]) -> (log: ConfigKeyLog, issues: [ConfigIssue]) {
        let log = ConfigKeyLog()
        let issues = ConfigKeyLog.$active.withValue(log) { read(Self.document(steps)) }
        return (log, issues)
    }

    func visit(_ steps: [Step]) {
        let path = Self.path(steps)
        guard visited.insert(path).inserted else { return }
        guard let keys = probe(steps).log.keys[path] else {
            Issue.record("\(scope) \(path): no reader finished this section")
            return
        }
        var variants: [(type: String?, keys: Set<String>, accepted: Bool)] = [(nil, keys, true)]
        // A `type` decides which other keys a section takes (sources, notifiers).
        if keys.contains("type"), !steps.isEmpty {
            var unknown = steps
            let typePath = "\(path).type"
            unknown[unknown.count - 1].type = "no-such-type"
            let choices = probe(unknown).log.choices[typePath] ?? []
            let types = Set(choices).union(reference.documentedTypes(scope: scope, path: path))
            variants = types.sorted().map { type in
                var typed = steps
                typed[typed.count - 1].type = type
                let (log, issues) = probe(typed)
                let refused = issues.contains { ConfigKeyLog.pattern($0.path) == typePath }
                return (type, log.keys[path] ?? [], !refused)
            }
        }
        for variant in variants {
            found.append(Found(path: path, type: variant.type, keys: variant.keys, typeAccepted: variant.accepted))
            var base = steps
            if !base.isEmpty { base[base.count - 1].type = variant.type }
            for key in variant.keys.sorted() where key != "type" {
                for list in [false, true] {
                    let child = base + [Step(key: key, list: list)]
                    let childPath = Self.path(child)
                    let log = probe(child).log
                    if log.freeForm.contains(childPath) { freeForm.insert(childPath) }
                    if log.keys[childPath] != nil { visit(child) }
                }
            }
        }
    }
}
