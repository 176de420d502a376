import CrierCore

/// Links crier puts where they become clickable (Discord `embed.url`, a Slack button, an
/// e-mail `href`). A rule's `link` template can hold captured log text, so only http(s)
/// URLs without spaces, controls or the characters that end a link in chat markup qualify:
/// no `javascript:`, no `data:`, no hidden text.
enum WebLink {
    static func isSafe(_ link: String) -> Bool {
        let lower = link.prefix(8).lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return false }
        return !link.unicodeScalars.contains { s in
            s.value <= 0x20 || VisibleControls.isHidden(s) || s == "<" || s == ">" || s == "\"" || s == "|" || s == "`"
        }
    }
}
