import Synchronization

/// What the config readers accept, section by section, as they read: the keys each mapping
/// asked for by the time it was finished, the mappings read as free-form pairs, and the
/// values of every `oneOf`. A test holds docs/CONFIGURATION.md and docs/RULES.md to the
/// readers with it, so the reference cannot drift; nothing is logged unless a log is
/// `active` (a task-local set by that test).
public final class ConfigKeyLog: Sendable {
    @TaskLocal public static var active: ConfigKeyLog?

    struct State {
        var keys: [String: Set<String>] = [:]
        var freeForm: Set<String> = []
        var choices: [String: [String]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Section pattern (`notifiers[].rate_limit`) → every key its reader asked for.
    public var keys: [String: Set<String>] { state.withLock { $0.keys } }
    /// Sections read as free-form `name: value` pairs (`headers`, `fields`, `where`).
    public var freeForm: Set<String> { state.withLock { $0.freeForm } }
    /// Key pattern (`notifiers[].type`) → the values `oneOf` accepts there.
    public var choices: [String: [String]] { state.withLock { $0.choices } }

    func noteKeys(_ keys: Set<String>, at path: String) {
        state.withLock { $0.keys[Self.pattern(path), default: []].formUnion(keys) }
    }

    func noteFreeForm(at path: String) {
        state.withLock { _ = $0.freeForm.insert(Self.pattern(path)) }
    }

    func noteChoices(_ values: [String], at path: String) {
        state.withLock { $0.choices[Self.pattern(path)] = values }
    }

    /// `notifiers[2].rate_limit` → `notifiers[].rate_limit`: one section for every list item.
    public static func pattern(_ path: String) -> String {
        var out = ""
        var inIndex = false
        for ch in path {
            switch ch {
            case "[": inIndex = true
            case "]": inIndex = false
            default: if inIndex { continue }
            }
            out.append(ch)
        }
        return out
    }
}
