import Testing

@testable import CrierCore

@Suite struct ConfigTests {
    /// Core's part of a config; each notifier's kind is read in CrierNotifiers
    /// (NotifierConfigTests), so here its keys are left unjudged.
    func read(_ text: String, env: [String: String] = [:]) -> (CrierConfig, [NotifierCommon], ConfigDiagnostics) {
        let diagnostics = ConfigDiagnostics(file: "crier.yaml")
        guard let root = YAMLDocument.parse(text, diagnostics: diagnostics, expandsEnvironment: true, environment: env) else {
            return (CrierConfig(), [], diagnostics)
        }
        let (config, notifiers) = CrierConfig.read(root) { (entry: NotifierEntry) -> NotifierCommon? in
            entry.map.ignoreRemainingKeys()
            return entry.common
        }
        return (config, notifiers, diagnostics)
    }

    @Test func theDocumentedExampleReadsCleanly() {
        let (config, notifiers, diagnostics) = read(CrierConfig.example)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
        #expect(notifiers.map(\.name) == ["discord-errors", "ops"])
        #expect(config.packs == ["sshd", "celery", "python"])
        #expect(config.rules.first?.fullID == "local.disk_full")
        #expect(config.defaults.timing == .default)
        #expect(config.routes.first?.severities == [.critical, .error])
        #expect(notifiers[0].rateLimit?.perMinute == 30)
        if case .journal(let j) = config.sources.first { #expect(j.maxAge == .seconds(600)) } else { Issue.record("journal source") }
    }

    @Test func invalidYAMLNamesTheLine() {
        let (_, _, diagnostics) = read("notifiers:\n  - name: x\n   type: [unclosed\n")
        #expect(diagnostics.errors.count == 1)
        #expect(diagnostics.errors[0].line != nil)
        #expect(diagnostics.errors[0].message.hasPrefix("invalid YAML"))
    }

    @Test func aRepeatedKeyIsReportedOnItsOwnLine() {
        let cases: [(String, Int)] = [
            ("name: a\nname: b\n", 2),
            ("notifiers:\n  - name: a\n    type: console\n    # note\n    name: b\n", 5),
            ("rules:\n  - {id: a, regex: x, id: b}\n", 2),
            ("a:\n  b: 1\n  c:\n    b: 2\n  'b': 3\n", 5),
        ]
        for (text, line) in cases {
            let (_, _, diagnostics) = read(text)
            #expect(diagnostics.errors.map(\.line) == [line], "\(text): \(diagnostics.errors)")
            #expect(diagnostics.errors.first?.message.contains("is given twice") == true)
        }
    }

    @Test func issuesComeInFileAndLineOrderOnce() {
        let d = ConfigDiagnostics(file: "b.yaml")
        d.error("x", "late", line: 9)
        d.error("", "no line")
        d.file = "a.yaml"
        d.error("y", "other file", line: 1)
        d.file = "b.yaml"
        d.error("z", "early", line: 2, column: 5)
        d.error("z", "earlier column", line: 2, column: 1)
        d.error("x", "late", line: 9)
        #expect(d.inDocumentOrder.map(\.message) == ["no line", "earlier column", "early", "late", "other file"])
        #expect(d.inDocumentOrder.map(\.description)[1] == "b.yaml:2:1: z: earlier column")
    }

    /// A pattern's byte offset found back in the file, however the value was written.
    @Test func offsetsInsideAValueMapToLineAndColumn() throws {
        let text = #"""
            plain: Task (x
            single: 'it''s (x'
            double: "a\\d\"(x"
            block: |
              first line
              Task (x
            after: 1
            """#
        let diagnostics = ConfigDiagnostics(file: "f.yaml")
        let map = try #require(YAMLDocument.parse(text, diagnostics: diagnostics, expandsEnvironment: false,
                                                  environment: [:])?.map())
        func at(_ key: String, _ byte: Int) -> String {
            let l = map[key]?.valueLocation?.location(ofByte: byte)
            return "\(l?.line ?? 0):\(l?.column ?? 0)"
        }
        #expect(at("plain", 5) == "1:13")  // the "(" of "Task (x"
        #expect(at("plain", 7) == "1:15")  // the end of the value
        #expect(at("single", 5) == "2:16")  // after the doubled quote, the "("
        #expect(at("single", 7) == "2:18")  // the closing quote stands for the end
        #expect(at("double", 1) == "3:11")  // an escaped backslash: two characters for one byte
        #expect(at("double", 4) == "3:16")  // after the escaped quote, the "("
        #expect(at("block", 0) == "5:3")
        #expect(at("block", 16) == "6:8")  // second line, after "Task "
        #expect(at("block", 19) == "6:10")  // the end: after the last character, not on the next key
        let template = map["block"]?.valueLocation?.location(ofLine: 2, column: 6, in: "first line\nTask (x\n")
        #expect(template?.line == 6 && template?.column == 8)
    }
}

@Suite struct PackCompileTests {
    func compile(_ text: String) -> (RuleSet?, [ConfigIssue]) {
        let diagnostics = ConfigDiagnostics()
        guard let pack = PackDefinition.parse(text, file: "patterns/demo/pack.yaml", fallbackName: "demo",
                                              diagnostics: diagnostics) else { return (nil, diagnostics.issues) }
        let rules = RuleSet.compile(pack.rules, defaults: .default, diagnostics: diagnostics)
        return (rules, diagnostics.errors)
    }

    @Test func everyBrokenRuleIsReportedWithFileRuleAndOffset() {
        let (_, errors) = compile("""
            pack: demo
            rules:
              - id: one
                regex: 'Task (?<task>[\\w.]+'
              - id: two
                regex: 'ok'
                title: "{{#open}} never closed"
              - id: three
                regex: '(?<x)bad'
                severity: fatal
              - id: one
                regex: 'dup'
              - id: four
                regex: 'x'
                where: {unit: '/[unclosed/'}
            """)
        let text = errors.map(\.description)
        #expect(errors.count == 6, "\(text)")
        // At the pattern's own line and the column PCRE2 points at (the end: the closing quote).
        #expect(text.contains { $0.hasPrefix("patterns/demo/pack.yaml:4:32: rules[0].regex:") && $0.contains("offset 19") && $0.contains("demo.one") && $0.contains("^") }, "\(text)")
        #expect(text.contains { $0.contains("rules[1].title") && $0.contains("template error") })
        #expect(text.contains { $0.contains("rules[2].regex") })
        #expect(text.contains { $0.contains("rules[2].severity") && $0.contains("fatal") })
        #expect(text.contains { $0.contains("rules[3].id") && $0.contains("defined twice") })
        #expect(text.contains { $0.contains("rules[4].where.unit") })
    }

    @Test func aBlockPatternIsPointedAtByItsOwnLine() {
        let (_, errors) = compile("""
            rules:
              - id: block
                regex: |
                  first line
                  Task (x
              - id: selector
                where: {unit: '/a(b/', host: web}
            """)
        let text = errors.map(\.description)
        #expect(errors.count == 2, "\(text)")
        // The end of the pattern: after "Task (x" on the block's second line; the caret is
        // drawn under that line alone.
        #expect(text.contains { $0.hasPrefix("patterns/demo/pack.yaml:5:14: rules[0].regex:") && $0.hasSuffix("    Task (x\n           ^") },
                "\(text)")
        // A selector's pattern starts after its `/`: offset 3 is the end, the closing `/`.
        #expect(text.contains { $0.hasPrefix("patterns/demo/pack.yaml:7:24: rules[1].where.unit:") }, "\(text)")
    }

    @Test func correlationRulesNeedTheirParts() {
        let (_, errors) = compile("""
            rules:
              - id: stuck
                start: {regex: 'Task (?<id>\\S+) received'}
                timeout: 30m
              - id: absent
                expect: {regex: 'backup finished'}
            """)
        let text = errors.map(\.description)
        #expect(text.contains { $0.contains("rules[0].end") })
        #expect(text.contains { $0.contains("rules[0].key") })
        #expect(text.contains { $0.contains("rules[1].every") })
    }
}

@Suite struct TemplateTests {
    let record = LogRecord(source: "t", position: .replay(line: 3), timestamp: nil, format: .json, message: "boom",
                           fields: [RecordField("job.id", "42"), RecordField("job.stage", "encode"),
                                    RecordField("logger", "render")])

    @Test func plainFastPathAgreesWithMustache() throws {
        let scope = TemplateScope(captures: [Capture("task", "render.tasks.x")], record: record)
        let source = "Task {{task}} failed at {{ job.stage }} (job {{job.id}}) in {{logger}}: {{message}}{{missing}}"
        let fast = try AlertTemplate(source)
        // A section makes the template go through swift-mustache; the output must be the same.
        let slow = try AlertTemplate(source + "{{#task}}{{/task}}")
        #expect(fast.render(scope) == "Task render.tasks.x failed at encode (job 42) in render: boom")
        #expect(slow.render(scope) == fast.render(scope))
    }

    @Test func sectionFastPathAgreesWithMustache() throws {
        let scope = TemplateScope(captures: [Capture("user", "root"), Capture("empty", "")], record: record)
        for source in ["{{#user}}for {{user}}{{/user}}{{^ip}} (no ip){{/ip}}", "{{#empty}}[{{empty}}]{{/empty}}",
                       "{{#ip}}{{ip}}{{/ip}}{{^ip}}{{logger}}{{/ip}}", "a {{# user }}b{{#job.id}}{{job.id}}{{/job.id}}{{/ user }} c"] {
            let fast = try AlertTemplate(source)
            let slow = try AlertTemplate(source + "{{! a comment sends this one through swift-mustache }}")
            #expect(fast.render(scope) == slow.render(scope), "\(source)")
        }
        // An empty capture is no value: its section is skipped, its inverted section shown.
        #expect(try AlertTemplate("{{#empty}}[{{empty}}]{{/empty}}{{^empty}}none{{/empty}}").render(scope) == "none")
        #expect(try AlertTemplate("{{#empty}}[{{empty}}]{{/empty}}{{^empty}}none{{/empty}}{{! slow }}").render(scope) == "none")
    }

    @Test func sectionsAndNoHTMLEscaping() throws {
        let scope = TemplateScope(captures: [Capture("user", "<root & co>")], record: record)
        let t = try AlertTemplate("{{#user}}user {{user}}{{/user}}{{^ip}} (no ip){{/ip}}")
        #expect(t.render(scope) == "user <root & co> (no ip)")
    }
}

@Suite struct RouterTests {
    func route(_ yaml: String) -> Router {
        let diagnostics = ConfigDiagnostics()
        let root = YAMLDocument.parse(yaml, diagnostics: diagnostics, expandsEnvironment: false, environment: [:])!
        let (config, notifiers) = CrierConfig.read(root) { (entry: NotifierEntry) -> NotifierCommon? in
            entry.map.ignoreRemainingKeys()
            return entry.common
        }
        return Router(routes: config.routes, notifiers: notifiers.map(\.name), diagnostics: diagnostics)
    }

    let yaml = """
        notifiers:
          - {name: all, type: console}
          - {name: pager, type: console}
          - {name: security, type: console}
        routes:
          - notifiers: [all]
            continue: true
          - match: {pack: [sshd]}
            notifiers: [security]
          - match: {severity: critical, labels: {host: '/^prod-/'}}
            notifiers: [pager]
        """

    @Test func firstMatchWinsUnlessContinue() {
        let router = route(yaml)
        #expect(router.notifiers(rule: "sshd.failed_password", severity: .critical, labels: []) == ["all", "security"])
        #expect(router.notifiers(rule: "kernel.oom", severity: .critical, labels: [Label("host", "prod-3")]) == ["all", "pager"])
        #expect(router.notifiers(rule: "kernel.oom", severity: .critical, labels: [Label("host", "dev-3")]) == ["all"])
        #expect(router.notifiers(rule: "kernel.oom", severity: .error, labels: []) == ["all"])
    }

    @Test func noRoutesMeansEveryNotifier() {
        let router = Router(routes: [], notifiers: ["a", "b"], diagnostics: ConfigDiagnostics())
        #expect(router.notifiers(rule: "x.y", severity: .info, labels: []) == ["a", "b"])
    }
}
