/// Month abbreviations as `strftime("%b")` writes them under the locales people run
/// `journalctl` and `dmesg -T` in (glibc 2.36 `abmon`): French `janv.`…`déc.`, German
/// `Mär`/`Okt`/`Dez`, Spanish, Italian, Portuguese, Dutch, Polish, Swedish, Russian (both
/// `мая`, glibc ≥ 2.27, and the older `май`), Ukrainian and Czech, besides English. No
/// token means a different month in two locales, so one table serves them all.
enum MonthNames {
    /// Lower-cased UTF-8 (a trailing `.` dropped), packed little-endian into 8 bytes.
    private static let table: [UInt64: UInt8] = {
        let months: [[String]] = [
            ["jan", "janv", "ene", "gen", "sty", "янв", "січ", "led"],
            ["feb", "févr", "fev", "lut", "фев", "лют", "úno"],
            ["mar", "mars", "mär", "mrt", "мар", "бер", "bře"],
            ["apr", "avril", "abr", "kwi", "апр", "кві", "dub"],
            ["may", "mai", "mag", "mei", "maj", "мая", "май", "тра", "kvě"],
            ["jun", "juin", "giu", "cze", "июн", "чер", "čen"],
            ["jul", "juil", "lug", "lip", "июл", "лип", "čec"],
            ["aug", "août", "ago", "sie", "авг", "сер", "srp"],
            ["sep", "sept", "set", "wrz", "сен", "вер", "zář"],
            ["oct", "okt", "ott", "out", "paź", "окт", "жов", "říj"],
            ["nov", "lis", "ноя", "лис", "lis"],
            ["dec", "déc", "dez", "dic", "gru", "дек", "гру", "pro"],
        ]
        var table: [UInt64: UInt8] = [:]
        for (index, names) in months.enumerated() {
            for name in names {
                var key: UInt64 = 0
                for (k, byte) in name.utf8.enumerated() { key |= UInt64(byte) << (8 * UInt64(k)) }
                table[key] = UInt8(index + 1)
            }
        }
        return table
    }()

    /// The month of the token `bytes[from..<to]`, or nil. ASCII and Cyrillic capitals are
    /// lowered (`Dez`, `Янв`); a final `.` is ignored (`déc.`).
    static func month(_ bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var end = to
        if end > from && bytes[end - 1] == 0x2E { end -= 1 }
        guard end - from >= 3 && end - from <= 8 else { return nil }
        var key: UInt64 = 0
        var k = 0
        var i = from
        while i < end {
            var byte = bytes[i]
            if byte >= 0x41 && byte <= 0x5A {
                byte |= 0x20
            } else if byte == 0xD0 && i + 1 < end && bytes[i + 1] >= 0x90 && bytes[i + 1] <= 0xAF {
                // Cyrillic А–Я (D0 90–D0 AF) → а–я (D0 B0–D0 BF, D1 80–D1 8F).
                let next = bytes[i + 1]
                let lower: (UInt8, UInt8) = next <= 0x9F ? (0xD0, next + 0x20) : (0xD1, next - 0x20)
                key |= UInt64(lower.0) << (8 * UInt64(k)) | UInt64(lower.1) << (8 * UInt64(k + 1))
                k += 2
                i += 2
                continue
            }
            key |= UInt64(byte) << (8 * UInt64(k))
            k += 1
            i += 1
        }
        return table[key].map(Int.init)
    }
}
