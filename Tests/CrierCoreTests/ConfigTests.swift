import Testing

@testable import CrierCore

@Suite struct ConfigTests {
    func read(_ text: String, env: [String: String] = [:]) -> (CrierConfig, ConfigDiagnostics) {
        let diagnostics = ConfigDiagnostics(file: "crier.yaml")
        guard let root = YAMLDocument.parse(text, diagnostics: diagnostics, expandsEnvironment: true, environment: env) else {
            return (CrierConfig(), diagnostics)
        }
        return (CrierConfig.read(root), diagnostics)
    }

    @Test func theDocumentedExampleReadsCleanly() {
        let (config, diagnostics) = read(CrierConfig.example)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
        #expect(config.notifiers.map(\.name) == ["discord-errors", "ops"])
        #expect(config.packs == ["sshd", "celery", "python"])
        #expect(config.rules.first?.fullID == "local.disk_full")
        #expect(config.defaults.timing == .default)
        #expect(config.routes.first?.severities == [.critical, .error])
        #expect(config.notifiers[0].rateLimit?.perMinute == 30)
        if case .journal(let j) = config.sources.first { #expect(j.maxAge == .seconds(600)) } else { Issue.record("journal source") }
    }

    @Test func everyErrorIsListedWithKeyAndLine() {
        let text = """
            stat_dir: /tmp
            defaults:
              group_wait: 10
              repeat_interval: 4 hours
            notifiers:
              - name: chat
                type: discrod
              - name: slack
                type: slack
            routes:
              - match: {severity: [fatal]}
                notifiers: [pager]
            rules:
              - id: x
                severity: error
            """
        let (_, diagnostics) = read(text)
        let messages = diagnostics.errors.map(\.description)
        #expect(diagnostics.errors.count >= 7, "\(messages)")
        #expect(messages.contains { $0.contains("crier.yaml:1: stat_dir: unknown key (did you mean 'state_dir'?)") })
        #expect(messages.contains { $0.contains("defaults.group_wait") && $0.contains("needs a unit") })
        #expect(messages.contains { $0.contains("defaults.repeat_interval") && $0.contains("unknown unit") })
        #expect(messages.contains { $0.contains("notifiers[0].type") && $0.contains("discord") })
        #expect(messages.contains { $0.contains("webhook_url") && $0.contains("required for a slack notifier") })
        #expect(messages.contains { $0.contains("routes[0].match.severity[0]") && $0.contains("fatal") })
        #expect(messages.contains { $0.contains("routes[0].notifiers") && $0.contains("'pager'") })
        #expect(messages.contains { $0.contains("rules[0].regex") && $0.contains("required") })
        #expect(diagnostics.errors.allSatisfy { $0.line != nil })
    }

    @Test func environmentIsExpandedInValuesOnly() {
        let text = """
            # ${NOT_EXPANDED_IN_COMMENTS}
            notifiers:
              - name: d
                type: discord
                webhook_url: ${HOOK}
              - name: s
                type: slack
                webhook_url: ${SLACK:-https://hooks.slack.com/services/default}
              - name: m
                type: discord
                webhook_url: ${MISSING}
            """
        let (config, diagnostics) = read(text, env: ["HOOK": "https://discord.com/api/webhooks/1/abc"])
        #expect(config.notifiers[0].webhookURL?.exposedValue == "https://discord.com/api/webhooks/1/abc")
        #expect(config.notifiers[1].webhookURL?.exposedValue == "https://hooks.slack.com/services/default")
        #expect(diagnostics.errors.count == 2, "\(diagnostics.errors)")  // MISSING unset, and so no URL
        #expect(diagnostics.errors.contains { $0.path == "notifiers[2].webhook_url" && $0.message.contains("MISSING") })
    }

    @Test func badSecretIsReportedWithoutItsValue() {
        let text = """
            notifiers:
              - name: d
                type: discord
                webhook_url: discord.com/api/webhooks/1/super-secret-token
            """
        let (_, diagnostics) = read(text)
        #expect(diagnostics.errors.count == 1)
        #expect(!diagnostics.errors.map(\.description).joined().contains("super-secret-token"))
    }

    @Test func invalidYAMLNamesTheLine() {
        let (_, diagnostics) = read("notifiers:\n  - name: x\n   type: [unclosed\n")
        #expect(diagnostics.errors.count == 1)
        #expect(diagnostics.errors[0].line != nil)
        #expect(diagnostics.errors[0].message.hasPrefix("invalid YAML"))
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
        #expect(text.contains { $0.hasPrefix("patterns/demo/pack.yaml:3: rules[0].regex:") && $0.contains("offset 19") && $0.contains("demo.one") && $0.contains("^") })
        #expect(text.contains { $0.contains("rules[1].title") && $0.contains("template error") })
        #expect(text.contains { $0.contains("rules[2].regex") })
        #expect(text.contains { $0.contains("rules[2].severity") && $0.contains("fatal") })
        #expect(text.contains { $0.contains("rules[3].id") && $0.contains("defined twice") })
        #expect(text.contains { $0.contains("rules[4].where.unit") })
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
        let config = CrierConfig.read(root)
        return Router(routes: config.routes, notifiers: config.notifiers.map(\.name), diagnostics: diagnostics)
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
