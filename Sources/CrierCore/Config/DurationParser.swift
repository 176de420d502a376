/// Durations as people write them in config: `10s`, `5m`, `1h30m`, `500ms`, `2d`, `1w`.
public enum DurationParser {
    public enum Result: Equatable {
        case success(Duration)
        case failure(String)
    }

    public static func parse(_ text: String) -> Result {
        let s = text.trimmingSpaces
        guard !s.isEmpty else { return .failure("expected a duration such as 30s, 5m or 1h, found an empty value") }
        if s == "0" { return .success(.zero) }
        var total: Int64 = 0
        var chars = Substring(s)
        while !chars.isEmpty {
            let digits = chars.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let amount = Double(digits) else {
                return .failure("expected a duration such as 30s, 5m or 1h, found '\(text)'")
            }
            chars = chars.dropFirst(digits.count).drop { $0 == " " }
            let unit = chars.prefix { $0.isLetter || $0 == "µ" }
            chars = chars.dropFirst(unit.count).drop { $0 == " " }
            let micros: Double
            switch unit {
            case "us", "µs": micros = 1
            case "ms": micros = 1_000
            case "s", "sec": micros = 1_000_000
            case "m", "min": micros = 60_000_000
            case "h": micros = 3_600_000_000
            case "d": micros = 86_400_000_000
            case "w": micros = 604_800_000_000
            case "":
                return .failure("'\(text)' needs a unit: write \(digits)s, \(digits)m or \(digits)h")
            default:
                return .failure("unknown unit '\(unit)' in '\(text)' (use ms, s, m, h, d or w)")
            }
            total += Int64((amount * micros).rounded())
        }
        return .success(.microseconds(total))
    }

    /// `90s` → `1m30s`: the shortest exact spelling, for messages and `crier check`.
    public static func format(_ d: Duration) -> String {
        var micros = d.microseconds
        if micros == 0 { return "0s" }
        var out = micros < 0 ? "-" : ""
        micros = abs(micros)
        let units: [(String, Int64)] = [("d", 86_400_000_000), ("h", 3_600_000_000), ("m", 60_000_000),
                                        ("s", 1_000_000), ("ms", 1_000), ("us", 1)]
        for (name, size) in units where micros >= size {
            out += "\(micros / size)\(name)"
            micros %= size
        }
        return out
    }
}

/// Sizes: `1MiB`, `512KiB`, `10MB`, or plain bytes.
public enum ByteSizeParser {
    public static func parse(_ text: String) -> Int? {
        let s = text.trimmingSpaces
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        guard let n = Int(digits), n >= 0 else { return nil }
        let unit = s.dropFirst(digits.count).trimmingSpaces.lowercased()
        let multiplier: Int
        switch unit {
        case "", "b": multiplier = 1
        case "k", "kb": multiplier = 1_000
        case "kib": multiplier = 1_024
        case "m", "mb": multiplier = 1_000_000
        case "mib": multiplier = 1_048_576
        case "g", "gb": multiplier = 1_000_000_000
        case "gib": multiplier = 1_073_741_824
        default: return nil
        }
        return n * multiplier
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[start...end]))
    }
}
