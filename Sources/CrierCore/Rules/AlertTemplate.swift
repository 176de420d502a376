import Mustache

/// A rule's Mustache template, rendered as plain text.
///
/// swift-mustache escapes HTML by default; chat payloads are not HTML, and each notifier
/// escapes for its own markup (Slack mrkdwn, Discord Markdown), so templates render as TEXT.
public struct AlertTemplate: Sendable {
    public let source: String
    private let template: MustacheTemplate
    /// Text, `{{name}}` and `{{#name}}…{{/name}}` / `{{^name}}…{{/name}}` over single values:
    /// nearly every alert template. Rendered by direct lookup, because swift-mustache
    /// resolves every name through dynamic casts and Mirror, which costs more than the rest
    /// of a message. nil when the template needs the full engine.
    private let plainSegments: [Segment]?

    indirect enum Segment: Sendable {
        case text(String)
        case variable(String)
        /// `{{#name}}`: rendered when the name has a value (even an empty one, as in
        /// swift-mustache); `{{^name}}` (inverted): when it has none.
        case section(String, inverted: Bool, [Segment])
    }

    private static let pragma = "{{% CONTENT_TYPE: TEXT}}"

    public init(_ source: String) throws(TemplateError) {
        self.source = source
        do {
            template = try MustacheTemplate(string: AlertTemplate.pragma + source)
        } catch let error as MustacheTemplate.ParserError {
            let line = error.context.lineNumber
            let column = error.context.columnNumber - (line == 1 ? AlertTemplate.pragma.count : 0)
            throw TemplateError(message: AlertTemplate.explain(error.error), line: line, column: max(1, column))
        } catch {
            throw TemplateError(message: "\(error)", line: 1, column: 0)
        }
        plainSegments = AlertTemplate.plainSegments(source)
    }

    public func render(_ scope: TemplateScope) -> String {
        guard let plainSegments else { return template.render(MustacheScope(scope: scope)) }
        var out = ""
        AlertTemplate.render(plainSegments, scope, into: &out)
        return out
    }

    static func render(_ segments: [Segment], _ scope: TemplateScope, into out: inout String) {
        for segment in segments {
            switch segment {
            case .text(let text): out += text
            case .variable(let name): out += scope.value(named: name) ?? ""
            case .section(let name, let inverted, let inner):
                // An empty value is no value (as in mustache.js): `ruser=` with nothing after it
                // must not render a "ruser:" line.
                if !(scope.value(named: name) ?? "").isEmpty != inverted { render(inner, scope, into: &out) }
            }
        }
    }

    static func explain(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect?: return "a section is closed with another name than it was opened with"
        case .unfinishedName?: return "a tag is not finished (expected }})"
        case .expectedSectionEnd?: return "a section is never closed ({{/name}} is missing)"
        case .invalidSetDelimiter?: return "invalid delimiter change"
        default: return "\(error)"
        }
    }

    /// Parses text, variables and sections; nil for anything else (partials, comments, triple
    /// mustaches, delimiter changes), and for sections in multi-line templates, where
    /// Mustache's standalone-line rules apply.
    static func plainSegments(_ source: String) -> [Segment]? {
        var stack: [(name: String, inverted: Bool, segments: [Segment])] = [("", false, [])]
        var rest = source[...]
        func add(_ segment: Segment) { stack[stack.count - 1].segments.append(segment) }
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { add(.text(String(rest[..<open.lowerBound]))) }
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else { return nil }
            var tag = Substring(afterOpen[..<close.lowerBound].trimmingSpaces)
            rest = afterOpen[close.upperBound...]
            var kind: Character = " "
            if let first = tag.first, first == "#" || first == "^" || first == "/" {
                kind = first
                tag = Substring(tag.dropFirst().trimmingSpaces)
            }
            let name = String(tag)
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" || $0 == "@" }) else {
                return nil
            }
            switch kind {
            case "#", "^":
                if source.contains("\n") { return nil }
                stack.append((name, kind == "^", []))
            case "/":
                guard stack.count > 1, stack.last!.name == name else { return nil }
                let done = stack.removeLast()
                add(.section(done.name, inverted: done.inverted, done.segments))
            default:
                add(.variable(name))
            }
        }
        if !rest.isEmpty { add(.text(String(rest))) }
        return stack.count == 1 ? stack[0].segments : nil
    }

}

public struct TemplateError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int

    public var description: String { "template error: \(message) (line \(line), column \(column))" }
}

/// The names a template can use: captures first, then the record's parts and fields,
/// then facts about an attached traceback. Dotted names (`{{a.b}}`) reach flattened JSON keys.
public struct TemplateScope {
    let captures: [Capture]
    let record: LogRecord
    let extras: [String: String]
    let prefix: String

    public init(captures: [Capture], record: LogRecord, extras: [String: String] = [:]) {
        self.captures = captures
        self.record = record
        self.extras = extras
        prefix = ""
    }

    private init(parent: TemplateScope, prefix: String) {
        captures = parent.captures
        record = parent.record
        extras = parent.extras
        self.prefix = prefix
    }

    /// A whole (possibly dotted) name, as `{{a.b}}` resolves it.
    func value(named name: String) -> String? {
        TemplateScope.lookup(prefix + name, captures: captures, record: record, extras: extras)
    }

    /// What swift-mustache asks for `name`: a value, or a scope for the rest of a dotted name.
    func child(named name: String) -> TemplateScope.Child? {
        let key = prefix + name
        if let value = TemplateScope.lookup(key, captures: captures, record: record, extras: extras) {
            return value.isEmpty ? nil : .value(value)
        }
        // `{{a.b}}` arrives as `a` then `b`: hand back a scope that resolves `a.`-prefixed keys.
        let nested = key + "."
        if record.fields.contains(where: { $0.name.hasPrefix(nested) }) {
            return .scope(TemplateScope(parent: self, prefix: nested))
        }
        return nil
    }

    enum Child {
        case value(String)
        case scope(TemplateScope)
    }

    /// The value of `name` for templates, `group_by` and labels alike.
    public static func lookup(_ name: String, captures: [Capture], record: LogRecord,
                              extras: [String: String] = [:]) -> String? {
        if let capture = captures.first(where: { $0.name == name }) { return capture.value }
        if let value = extras[name] { return value }
        switch name {
        case "message": return record.message
        case "host": return record.host ?? recordField(.host, record)
        case "ident": return record.ident ?? recordField(.ident, record)
        case "pid": return record.pid ?? recordField(.pid, record)
        case "unit", "level", "logger": return recordField(FieldName(name), record)
        case "source": return record.source
        case "line": return record.line.map(String.init)
        case "timestamp": return record.timestamp?.iso8601
        case "traceback": return record.traceback?.text
        case "exception_type": return record.traceback?.exceptionType
        case "exception_message": return record.traceback?.exceptionMessage
        case "last_frame": return record.traceback?.lastFrame
        default: return record.field(name)
        }
    }

    static func recordField(_ name: FieldName, _ record: LogRecord) -> String? {
        for key in name.structuredKeys {
            if let v = record.field(key) { return v }
        }
        return nil
    }
}

/// The scope as swift-mustache sees it; kept internal so that Mustache stays out of Core's
/// public interface.
struct MustacheScope: MustacheParent {
    let scope: TemplateScope

    func child(named name: String) -> Any? {
        switch scope.child(named: name) {
        case .value(let value)?: value
        case .scope(let nested)?: MustacheScope(scope: nested)
        case nil: nil
        }
    }
}

/// A named capture of a rule's regex, as text.
public struct Capture: Hashable, Sendable, Codable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
