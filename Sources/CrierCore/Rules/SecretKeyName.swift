/// Decides whether `key=value` in log text assigns a secret, by the words of the key and the
/// shape of the value. A regex alone cannot: `MYSQL_ROOT_PASSWORD`, `PGPASSWORD` and
/// `dbPassword` are secrets while `password_reset_url`, `max_tokens`, `PWD` and `bypass` are
/// not, and a value of `${DB_PASSWORD}` or `********` is a placeholder, not a leak.
enum SecretKeyName {
    /// A key word that is a secret by itself, or as the end of a run-together word
    /// (`pgpassword`, `apitoken`, `clientsecret`). Not as a beginning: `tokenizer`,
    /// `passwordless` and `secretary` are other words.
    static let secretEndings = ["password", "passwd", "passphrase", "secret", "token"]

    /// Whole words that are secrets only as they stand (`pass` in `REDIS_PASS`, not in
    /// `bypass`), and word pairs (`api_key`, `AccessKey`).
    static let secretWords: Set<String> = [
        "pass", "pwd", "apikey", "accesskey", "privatekey", "accountkey", "secretkey", "authkey", "sessionid", "sessionkey",
        "signature", "sig", "credential", "credentials", "connectionstring", "sharedaccesskey", "sharedaccesssignature",
    ]
    static let secretPairs: Set<String> = [
        "api key", "access key", "private key", "account key", "secret key", "auth key", "session id", "session key",
        "connection string", "shared access", "client secret",
    ]

    /// Words that make a key name *about* a secret rather than hold one.
    static let describingWords: Set<String> = [
        "reset", "url", "uri", "file", "path", "dir", "length", "len", "policy", "prompt", "hint", "expiry", "expires",
        "expire", "expired", "expiration", "count", "type", "name", "field", "format", "required", "changed", "change",
        "min", "max", "limit", "size", "ttl", "timeout", "enabled", "disabled", "label", "endpoint", "method", "mode",
        "version", "strength", "rule", "rules", "alg", "algorithm", "scheme", "prefix", "header", "used", "remaining",
        "id_token_hint", "ref", "env", "var", "store", "manager", "provider", "source", "kind", "status",
    ]

    /// Shell variables that hold paths.
    static let notSecretKeys: Set<String> = ["pwd", "oldpwd"]

    /// Values that are placeholders or flags, never credentials.
    static let placeholders: Set<String> = [
        "", "true", "false", "null", "none", "nil", "yes", "no", "on", "off", "undefined", "empty", "(none)", "(null)",
        "<none>", "redacted", "[redacted]", "changeme", "xxx", "***",
    ]

    /// nsswitch.conf sources: `passwd: files systemd` is configuration, not a password.
    static let nsswitchSources: Set<String> = [
        "files", "compat", "systemd", "sss", "ldap", "nis", "nisplus", "db", "winbind", "dns", "myhostname", "mymachines",
        "resolve", "hesiod", "altfiles", "usrfiles", "cache", "extrausers",
    ]

    /// Whether `key` (as written) set to `value` is a credential to cut.
    static func isSecret(key: String, value: Substring) -> Bool {
        let words = self.words(key)
        guard !words.isEmpty, !notSecretKeys.contains(words.joined()) else { return false }
        var secret = false
        var password = false
        for (i, word) in words.enumerated() {
            if describingWords.contains(word) { return false }
            let ending = secretEndings.first { word.hasSuffix($0) }
            if ending != nil || secretWords.contains(word) { secret = true }
            if ending == "password" || ending == "passwd" || ending == "passphrase" || word == "pass" || word == "pwd" {
                password = true
            }
            if i + 1 < words.count, secretPairs.contains(word + " " + words[i + 1]) { secret = true }
        }
        guard secret else { return false }
        return !isPlaceholder(value, password: password, key: words)
    }

    /// The words of a key: split at `_`, `.`, `-` and lower-to-upper case changes, lowered.
    static func words(_ key: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for c in key {
            if c == "_" || c == "." || c == "-" {
                if !current.isEmpty { words.append(current.lowercased()) }
                current = ""
                previousLower = false
                continue
            }
            if c.isUppercase && previousLower && !current.isEmpty {
                words.append(current.lowercased())
                current = ""
            }
            current.append(c)
            previousLower = c.isLowercase || c.isNumber
        }
        if !current.isEmpty { words.append(current.lowercased()) }
        return words
    }

    static func isPlaceholder(_ value: Substring, password: Bool, key: [String]) -> Bool {
        let lower = value.lowercased()
        if placeholders.contains(lower) || lower.hasPrefix("[redacted") { return true }
        if value.allSatisfy({ $0 == "*" }) || (value.count >= 3 && lower.allSatisfy { $0 == "x" }) { return true }
        // Templates and variables: ${VAR}, $VAR, {{name}}, %(name)s, $(command).
        if value.hasPrefix("$") || value.hasPrefix("{{") || value.hasPrefix("%(") { return true }
        if key == ["passwd"] || key == ["shadow"] || key == ["group"], nsswitchSources.contains(lower) { return true }
        // Counts and sizes (`token=5`, `max_tokens=4096`); never for a password key.
        if !password && value.count <= 6 && value.allSatisfy(\.isNumber) { return true }
        return false
    }
}
