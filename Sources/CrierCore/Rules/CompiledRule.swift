/// A `where` selector ready to test record fields.
public struct CompiledSelector: Sendable {
    public enum Test: Sendable {
        case equals([[UInt8]])
        case regex(Regex)
    }

    public var field: FieldName
    public var test: Test
}

/// A regex with selectors: the matching part of a rule, or of `start`/`end`/`expect`.
public struct CompiledMatcher: Sendable {
    public var regex: Regex?
    public var selectors: [CompiledSelector]
}

/// One rule, compiled: regexes JIT-compiled, templates parsed, timing resolved.
public final class CompiledRule: Sendable {
    public let definition: RuleDefinition
    /// `pack.id`
    public let id: String
    /// Position in the rule set; counters are indexed by it.
    public let index: Int
    public let matcher: CompiledMatcher
    public let title: AlertTemplate
    public let body: AlertTemplate
    public let fields: [(name: String, template: AlertTemplate)]
    public let link: AlertTemplate?
    public let timing: GroupTiming
    /// Correlation parts (stuck/absent), used by the correlation stage.
    public let start: CompiledMatcher?
    public let end: CompiledMatcher?
    public let expect: CompiledMatcher?
    /// Absence rules with `by`: the calendar moment.
    public let schedule: CalendarSchedule?

    public var severity: Severity { definition.severity }
    public var pack: String { definition.pack }
    public var groupBy: [String] { definition.groupBy }
    public var multiline: MultilineMode? { definition.multiline }
    public var kind: RuleDefinition.Kind { definition.kind }

    init(definition: RuleDefinition, index: Int, matcher: CompiledMatcher, title: AlertTemplate, body: AlertTemplate,
         fields: [(String, AlertTemplate)], link: AlertTemplate?, timing: GroupTiming, start: CompiledMatcher?,
         end: CompiledMatcher?, expect: CompiledMatcher?) {
        self.definition = definition
        id = definition.fullID
        self.index = index
        self.matcher = matcher
        self.title = title
        self.body = body
        self.fields = fields
        self.link = link
        self.timing = timing
        self.start = start
        self.end = end
        self.expect = expect
        schedule = definition.by.flatMap { try? CalendarSchedule.parse($0).get() }
    }

    /// Label values for `group_by`, from captures, record parts and fields, in order.
    public func labels(captures: [Capture], record: LogRecord) -> [Label] {
        definition.labels.map { Label($0.name, $0.value) }
            + groupBy.map { Label($0, TemplateScope.lookup($0, captures: captures, record: record) ?? "") }
    }

    /// What alerts fold under: `pack.group` when rules share a group, else the rule id.
    public var groupKey: String { definition.group.map { "\(pack).\($0)" } ?? id }

    /// The group identity: the group key plus every label value.
    public func fingerprint(labels: [Label]) -> Fingerprint {
        var fp = Fingerprint()
        fp.combine(groupKey)
        for label in labels {
            fp.separator()
            fp.combine(label.name)
            fp.separator()
            fp.combine(label.value)
        }
        return fp
    }
}

/// Every enabled rule of every pack in use, compiled together.
public struct RuleSet: Sendable {
    public let rules: [CompiledRule]
    /// Rules that alert on a matching record (kind `.match`), in order.
    public let matchRules: [CompiledRule]

    public init(rules: [CompiledRule]) {
        self.rules = rules
        matchRules = rules.filter { $0.kind == .match }
    }

    /// Compiles `definitions`, collecting every error: a bad regex names the pack file, the rule
    /// and the offset in the pattern, with the pattern and a caret under the offset.
    public static func compile(_ definitions: [RuleDefinition], defaults: GroupTiming,
                               diagnostics: ConfigDiagnostics) -> RuleSet {
        var compiled: [CompiledRule] = []
        var seen: [String: SourceLocation] = [:]
        var groups: [String: RuleDefinition] = [:]
        for definition in definitions where definition.enabled {
            if let previous = seen[definition.fullID] {
                diagnostics.issues(at: definition.location(of: "id"),
                                   "rule '\(definition.fullID)' is defined twice (also at \(describe(previous)))")
                continue
            }
            seen[definition.fullID] = definition.location
            if let group = definition.group {
                // Rules folding into one group must agree on what a group is.
                let key = "\(definition.pack).\(group)"
                if let first = groups[key], first.groupBy != definition.groupBy {
                    diagnostics.issues(at: definition.location(of: "group_by"),
                          "rule '\(definition.fullID)' shares group '\(group)' with '\(first.fullID)' but groups by "
                          + "[\(definition.groupBy.joined(separator: ", "))] instead of [\(first.groupBy.joined(separator: ", "))]")
                    continue
                }
                groups[key] = groups[key] ?? definition
            }
            if let rule = compileRule(definition, index: compiled.count, defaults: defaults, diagnostics: diagnostics) {
                compiled.append(rule)
            }
        }
        return RuleSet(rules: compiled)
    }

    static func compileRule(_ d: RuleDefinition, index: Int, defaults: GroupTiming,
                            diagnostics: ConfigDiagnostics) -> CompiledRule? {
        var ok = true
        // Each problem is reported where its key was written: the pattern's own character
        // for a regex, the key's line for the rest.
        func issue(_ key: String, _ message: String) {
            diagnostics.issues(at: d.location(of: key), "rule '\(d.fullID)': \(message)")
        }
        func matcher(regex: String?, selectors: [SelectorDefinition], key: String, written: ValueLocation?, ignoreCase: Bool)
            -> CompiledMatcher
        {
            var compiledRegex: Regex?
            if let regex {
                do {
                    compiledRegex = try Regex(regex, options: ignoreCase ? [.caseInsensitive] : [])
                } catch {
                    ok = false
                    let (line, offset) = patternLine(regex, error.offset)
                    diagnostics.issues(at: written?.location(ofByte: error.offset) ?? d.location(of: key),
                                       "rule '\(d.fullID)': \(error.message) at offset \(error.offset)\n"
                                       + "    \(line)\n    \(String(repeating: " ", count: caretColumn(line, offset)))^")
                }
            }
            var compiledSelectors: [CompiledSelector] = []
            for selector in selectors {
                switch selector.test {
                case .equals(let values):
                    compiledSelectors.append(CompiledSelector(field: FieldName(selector.field),
                                                              test: .equals(values.map { Array($0.utf8) })))
                case .regex(let pattern):
                    do {
                        compiledSelectors.append(CompiledSelector(field: FieldName(selector.field),
                                                                  test: .regex(try Regex(pattern))))
                    } catch {
                        ok = false
                        // +1: the pattern starts after the `/`.
                        diagnostics.issues(at: selector.value?.location(ofByte: error.offset + 1) ?? selector.location,
                                           "rule '\(d.fullID)': /\(pattern)/: \(error.message) at offset \(error.offset)")
                    }
                }
            }
            return CompiledMatcher(regex: compiledRegex, selectors: compiledSelectors)
        }
        func template(_ source: String, _ key: String) -> AlertTemplate? {
            do {
                return try AlertTemplate(source)
            } catch {
                ok = false
                let written = d.values[key].map { $0.location(ofLine: error.line, column: error.column, in: source) }
                diagnostics.issues(at: written ?? d.location(of: key), "rule '\(d.fullID)': \(error)")
                return nil
            }
        }

        let main = matcher(regex: d.regex, selectors: d.selectors, key: "regex", written: d.values["regex"], ignoreCase: d.ignoreCase)
        func part(_ m: MatcherDefinition, _ key: String) -> CompiledMatcher {
            matcher(regex: m.regex, selectors: m.selectors, key: key, written: m.regexValue, ignoreCase: d.ignoreCase)
        }
        let start = d.start.map { part($0, "start") }
        let end = d.end.map { part($0, "end") }
        let expect = d.expect.map { part($0, "expect") }

        let title = template(d.title ?? d.fullID, "title")
        let body = template(d.body ?? "{{message}}", "body")
        var fields: [(String, AlertTemplate)] = []
        for field in d.fields {
            if let t = template(field.template, "fields.\(field.name)") { fields.append((field.name, t)) }
        }
        let link = d.link.flatMap { template($0, "link") }

        // The key is a capture or a record field. A matcher that is a bare regex can only get it
        // from a capture, so a name that is not one is a typo and is reported now.
        for (part, matcher) in [("start", start), ("end", end)] {
            if let key = d.key, let matcher, matcher.selectors.isEmpty, let regex = matcher.regex,
               !regex.captureNames.contains(where: { $0.name == key }) {
                issue("key", "'\(key)' is not a named capture of `\(part)` "
                      + "(captures: \(regex.captureNames.map(\.name).joined(separator: ", ")))")
                ok = false
            }
        }
        guard ok, let title, let body else { return nil }
        return CompiledRule(definition: d, index: index, matcher: main, title: title, body: body, fields: fields,
                            link: link, timing: d.timing.applied(to: defaults), start: start, end: end,
                            expect: expect)
    }

    static func describe(_ location: SourceLocation) -> String {
        [location.file, location.line.map { "line \($0)" }].compactMap { $0 }.joined(separator: " ")
    }

    /// The line of a multi-line pattern that holds `byteOffset`, and the offset in it: the
    /// caret is drawn under one line.
    static func patternLine(_ pattern: String, _ byteOffset: Int) -> (Substring, Int) {
        // A block scalar's final newline is not a line to point at.
        var shown = pattern[...]
        while shown.hasSuffix("\n") { shown = shown.dropLast() }
        let byteOffset = min(byteOffset, shown.utf8.count)
        var start = 0
        for line in shown.split(separator: "\n", omittingEmptySubsequences: false) {
            let end = start + line.utf8.count
            if byteOffset <= end { return (line, byteOffset - start) }
            start = end + 1
        }
        return (shown, byteOffset)
    }

    /// PCRE2 offsets are in bytes; the caret goes under the character.
    static func caretColumn(_ pattern: Substring, _ byteOffset: Int) -> Int {
        var bytes = 0
        var column = 0
        for ch in pattern.unicodeScalars {
            if bytes >= byteOffset { break }
            bytes += String(ch).utf8.count
            column += 1
        }
        return column
    }
}

extension ConfigDiagnostics {
    /// An error at a location recorded earlier (rules are compiled after their file was read).
    public func issues(at location: SourceLocation, _ message: String) {
        append([ConfigIssue(.error, file: location.file, line: location.line, column: location.column,
                            path: location.path, message: message)])
    }
}

extension CompiledRule {
    /// Renders this rule's templates for one record: what a notifier shows of one occurrence.
    public func makeAlert(captures: [Capture], record: LogRecord, labels: [Label], fingerprint: Fingerprint,
                          fallbackTime: Timestamp) -> Alert {
        let scope = TemplateScope(captures: captures, record: record,
                                  extras: ["rule": id, "pack": pack, "severity": severity.rawValue])
        // A title is one line: a template that pulled in a multi-line value keeps its first line.
        let titleLine = title.render(scope).firstNonEmptyLine
        let renderedLink = link.map { $0.render(scope) }.flatMap { $0.isEmpty ? nil : $0 }
        let excerpt = String(record.message.firstLine.prefix(500))
        return Alert(
            rule: id, severity: severity, title: titleLine.isEmpty ? id : titleLine, body: body.render(scope),
            fields: fields.map { AlertField($0.name, $0.template.render(scope)) }, labels: labels,
            fingerprint: fingerprint, timestamp: record.timestamp ?? fallbackTime, link: renderedLink,
            host: TemplateScope.lookup("host", captures: captures, record: record), excerpt: excerpt,
            traceback: record.traceback, source: record.source, position: record.position, flags: record.flags)
    }
}

extension String {
    /// Up to the first newline (bytes, not Characters: cheap on long messages).
    public var firstLine: Substring {
        guard let nl = utf8.firstIndex(of: 0x0A) else { return self[...] }
        return self[..<nl]
    }

    /// The first line with any text on it.
    var firstNonEmptyLine: String {
        for line in utf8.split(separator: 0x0A) where !line.isEmpty {
            return String(decoding: line, as: UTF8.self)
        }
        return ""
    }
}
