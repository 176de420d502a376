/// The kinds of destination crier sends to; `type:` in a `notifiers:` entry.
public enum NotifierKind: String, Sendable, CaseIterable {
    case discord, slack, webhook, email, alertmanager, console
}
