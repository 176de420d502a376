// The only Swift file that imports PCRE2 (DESIGN §2): patterns are JIT-compiled once and
// matched on raw UTF-8 bytes, so no String is built for a line that matches nothing.
internal import CPCRE2

/// Why a pattern did not compile, with the byte offset PCRE2 points at.
public struct RegexCompileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int

    public var description: String { "\(message) at offset \(offset)" }
}

/// A compiled PCRE2 pattern. Immutable once built: PCRE2 documents compiled (and
/// JIT-compiled) code as safe to share between threads; each thread matches with its own
/// `RegexMatcher`.
public final class Regex: @unchecked Sendable {
    public let pattern: String
    /// Named groups, in group-number order.
    public let captureNames: [(name: String, group: Int)]
    /// Number of capturing groups, named or not.
    public let captureCount: Int
    public let isJITCompiled: Bool
    /// Literals every match contains; lines without them are not handed to PCRE2.
    public let prefilter: LiteralPrefilter?
    /// The same, as plain memory for the per-line path (`LiteralCandidateScan` reads it).
    let flatPrefilter: LiteralPrefilter.Flat
    fileprivate let code: OpaquePointer

    public struct Options: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let caseInsensitive = Options(rawValue: 1 << 0)
        /// `.` also matches newlines (multi-line messages with a folded traceback).
        public static let dotAll = Options(rawValue: 1 << 1)
    }

    /// - Parameter prefilter: false runs PCRE2 on every subject (tests compare both ways).
    public init(_ pattern: String, options: Options = [], prefilter: Bool = true) throws(RegexCompileError) {
        self.pattern = pattern
        // Byte mode by default, like `grep -P` under LC_ALL=C: logs may hold bytes that are
        // not UTF-8, and in UTF mode such a byte is a wall no `.` can cross, so
        // "Failed password for invalid user j\xfcrgen from …" would not match at all.
        // A pattern that needs Unicode semantics starts with (*UTF); it then gets
        // MATCH_INVALID_UTF so bad bytes neither fail the match nor cost a validation pass.
        var flags: UInt32 = 0
        if pattern.hasPrefix("(*UTF)") { flags |= UInt32(PCRE2_MATCH_INVALID_UTF) }
        if options.contains(.caseInsensitive) { flags |= UInt32(PCRE2_CASELESS) }
        if options.contains(.dotAll) { flags |= UInt32(PCRE2_DOTALL) }
        var errorCode: Int32 = 0
        var errorOffset = 0
        let compiled: OpaquePointer? = pattern.utf8.withContiguousStorageIfAvailable { buf in
            pcre2_compile_8(buf.baseAddress ?? Regex.emptySubject, buf.count, flags, &errorCode, &errorOffset, nil)
        } ?? {
            let bytes = Array(pattern.utf8)
            return bytes.withUnsafeBufferPointer {
                pcre2_compile_8($0.baseAddress ?? Regex.emptySubject, $0.count, flags, &errorCode, &errorOffset, nil)
            }
        }()
        guard let compiled else {
            throw RegexCompileError(message: Regex.errorMessage(errorCode), offset: errorOffset)
        }
        code = compiled
        // Case-folded patterns would need a case-folded search: they always run.
        self.prefilter = !prefilter || options.contains(.caseInsensitive) ? nil : LiteralPrefilter(pattern: pattern)
        flatPrefilter = self.prefilter.map(LiteralPrefilter.Flat.init) ?? .none
        isJITCompiled = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0

        var count: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
        captureCount = Int(count)

        var nameCount: UInt32 = 0
        var entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMECOUNT), &nameCount)
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMETABLE), &table)
        var names: [(String, Int)] = []
        if let table, nameCount > 0 {
            for i in 0..<Int(nameCount) {
                // Each entry: a 2-byte big-endian group number, then the NUL-terminated name.
                let entry = table + i * Int(entrySize)
                let group = Int(entry[0]) << 8 | Int(entry[1])
                let name = String(cString: entry + 2)
                names.append((name, group))
            }
        }
        captureNames = names.sorted { $0.1 < $1.1 }
    }

    deinit {
        pcre2_code_free_8(code)
        flatPrefilter.deallocate()
    }

    /// A zero-length subject still needs a valid pointer for PCRE2 10.42.
    // Never written after initialisation: one zero byte.
    nonisolated(unsafe) fileprivate static let emptySubject: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        p.initialize(to: 0)
        return UnsafePointer(p)
    }()

    static func errorMessage(_ code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer[..<Int(n)], as: UTF8.self) : "PCRE2 error \(code)"
    }
}

/// Limits that keep one pathological pattern/line pair from stalling the pipeline, and the
/// JIT stack they need. One per thread, shared by that thread's matchers.
public final class RegexScratch {
    fileprivate let context: OpaquePointer
    private let jitStack: OpaquePointer?

    /// - Parameter matchLimit: PCRE2's backtracking budget per match; a match that exceeds it
    ///   fails with `.limitExceeded` instead of running for seconds.
    public init(matchLimit: UInt32 = 5_000_000) {
        context = pcre2_match_context_create_8(nil)
        // 32 KiB is PCRE2's default JIT stack; long lines with nested groups need more.
        jitStack = pcre2_jit_stack_create_8(32 * 1024, 4 * 1024 * 1024, nil)
        pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(jitStack))
        pcre2_set_match_limit_8(context, matchLimit)
    }

    deinit {
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
        pcre2_match_context_free_8(context)
    }
}

/// The outcome of one match attempt. A failure is a reason, not a bool, so it can be counted.
public enum RegexMatchResult: Equatable, Sendable {
    case match
    case noMatch
    /// The backtracking or depth limit was hit: counted per rule, the line is treated as no match.
    case limitExceeded
    case failed(code: Int32)
}

/// Matches one `Regex` against byte buffers and exposes the last match's groups.
/// Not thread-safe: it owns PCRE2 match data.
public final class RegexMatcher {
    public let regex: Regex
    private let scratch: RegexScratch
    private let matchData: OpaquePointer
    private let ovector: UnsafeMutablePointer<Int>
    private var subject = UnsafeRawBufferPointer(start: nil, count: 0)

    public init(_ regex: Regex, scratch: RegexScratch) {
        self.regex = regex
        self.scratch = scratch
        matchData = pcre2_match_data_create_from_pattern_8(regex.code, nil)
        ovector = pcre2_get_ovector_pointer_8(matchData)
    }

    deinit { pcre2_match_data_free_8(matchData) }

    /// Matches `bytes` (from byte `offset`, lookbehinds still seeing what is before it); on
    /// `.match` the groups stay readable until the next call.
    /// `present`: the subject's bytes, when the caller gathered them once for many patterns.
    @inline(__always)
    public func match(_ bytes: UnsafeRawBufferPointer, from offset: Int = 0, present: ByteSet? = nil) -> RegexMatchResult {
        let prefilter = regex.flatPrefilter
        if !prefilter.isEmpty, !prefilter.mayMatch(bytes, present: present ?? ByteSet(bytes)) {
            subject = bytes
            return .noMatch
        }
        return confirm(bytes, from: offset)
    }

    /// Runs PCRE2 without the literal prefilter: for a caller whose own scan found the
    /// literals already (`RuleMatcher`).
    @inline(__always)
    func confirm(_ bytes: UnsafeRawBufferPointer, from offset: Int = 0) -> RegexMatchResult {
        subject = bytes
        let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? Regex.emptySubject
        let rc: Int32
        if regex.isJITCompiled {
            rc = pcre2_jit_match_8(regex.code, base, bytes.count, offset, 0, matchData, scratch.context)
        } else {
            rc = pcre2_match_8(regex.code, base, bytes.count, offset, 0, matchData, scratch.context)
        }
        if rc >= 0 { return .match }
        switch rc {
        case PCRE2_ERROR_NOMATCH, PCRE2_ERROR_PARTIAL: return .noMatch
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_JIT_STACKLIMIT:
            return .limitExceeded
        default: return .failed(code: rc)
        }
    }

    /// The byte range of a group in the last matched subject, nil if it did not take part.
    @inline(__always)
    public func range(ofGroup group: Int) -> Range<Int>? {
        let start = ovector[2 * group]
        let end = ovector[2 * group + 1]
        if start == crier_pcre2_unset() || end < start { return nil }
        return start..<end
    }

    /// The bytes of a group in the last matched subject.
    @inline(__always)
    public func bytes(ofGroup group: Int) -> UnsafeRawBufferPointer? {
        guard let r = range(ofGroup: group) else { return nil }
        return UnsafeRawBufferPointer(rebasing: subject[r])
    }

    public static func message(forFailure code: Int32) -> String { Regex.errorMessage(code) }
}

extension Regex {
    /// The PCRE2 loaded at run time (`10.42 2022-12-11`), and whether it was built with the
    /// JIT (that it can allocate executable memory under this process's policy is another matter).
    public static var libraryVersion: String {
        var buffer = [UInt8](repeating: 0, count: 64)
        var jit: UInt32 = 0
        _ = pcre2_config_8(UInt32(PCRE2_CONFIG_VERSION), &buffer)
        _ = pcre2_config_8(UInt32(PCRE2_CONFIG_JIT), &jit)
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self) + (jit == 1 ? " (JIT)" : " (no JIT)")
    }
}
