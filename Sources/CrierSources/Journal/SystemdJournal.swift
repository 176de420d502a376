// The only Swift file that imports libsystemd (DESIGN §2): the journal reader, and
// sd_notify, which lives in the same library.
#if canImport(Glibc)
import Glibc
#endif
internal import CSystemd
public import CrierCore
import CrierPlatform

/// A systemd journal opened through sd-journal: the system journal, a directory, or files.
///
/// Entries are read with `sd_journal_enumerate_data` (one pass over every field, binary-safe,
/// multi-valued fields kept) after `sd_journal_set_data_threshold(0)`, so no field is cut at
/// 64 KiB. A view handed out points into sd-journal's mapped files and is valid only until
/// the next call on the journal. Not thread-safe: one thread owns it.
public final class SystemdJournal {
    public enum Location: Sendable, Equatable {
        case system
        case directory(String)
        case files([String])
    }

    /// What `process()` saw after a wake-up.
    public enum Change: Sendable, Equatable {
        case nothing
        /// New entries were appended.
        case appended
        /// Files were added, removed or rotated (vacuum, journald restart): keep reading;
        /// the position stays valid.
        case invalidated
    }

    private var journal: OpaquePointer?
    private var fields: [FieldEntry] = []
    public let location: Location

    public init(location: Location, units: [String] = [], matches: [(String, String)] = []) throws(SourceError) {
        self.location = location
        var j: OpaquePointer?
        let rc: Int32
        switch location {
        case .system:
            rc = sd_journal_open(&j, Int32(SD_JOURNAL_LOCAL_ONLY))
        case .directory(let path):
            rc = sd_journal_open_directory(&j, path, 0)
        case .files(let paths):
            var cStrings = paths.map { strdup($0) } + [nil]
            rc = cStrings.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    sd_journal_open_files(&j, $0, 0)
                }
            }
            for p in cStrings { free(p) }
        }
        guard rc >= 0, let j else {
            throw SourceError("cannot open the journal\(SystemdJournal.describe(location)): \(String(cString: strerror(-rc)))")
        }
        journal = j
        sd_journal_set_data_threshold(j, 0)
        // Sets up the inotify watches now: entries appended from here on wake the follower.
        _ = sd_journal_get_fd(j)
        try addMatches(units: units, matches: matches)
    }

    deinit { if let journal { sd_journal_close(journal) } }

    static func describe(_ location: Location) -> String {
        switch location {
        case .system: ""
        case .directory(let path): " in \(path)"
        case .files(let paths): " files \(paths.joined(separator: ", "))"
        }
    }

    /// `units` are ORed (`_SYSTEMD_UNIT=u` or systemd's own `UNIT=u` lines about it); each
    /// `match` field is ANDed with that.
    private func addMatches(units: [String], matches: [(String, String)]) throws(SourceError) {
        guard let journal else { return }
        func add(_ m: String) throws(SourceError) {
            let rc = m.withCString { sd_journal_add_match(journal, $0, 0) }
            if rc < 0 { throw SourceError("journal match '\(m)' is invalid: \(String(cString: strerror(-rc)))") }
        }
        for (i, unit) in units.enumerated() {
            if i > 0 { sd_journal_add_disjunction(journal) }
            try add("_SYSTEMD_UNIT=\(unit)")
            sd_journal_add_disjunction(journal)
            try add("UNIT=\(unit)")
        }
        if !units.isEmpty && !matches.isEmpty { sd_journal_add_conjunction(journal) }
        for (field, value) in matches { try add("\(field)=\(value)") }
    }

    // MARK: Position

    public func seekHead() { if let journal { sd_journal_seek_head(journal) } }

    /// After this, `next()` returns only entries added later.
    public func seekTail() {
        guard let journal else { return }
        sd_journal_seek_tail(journal)
        // seek_tail positions after the last entry; step back onto it so next() moves past it.
        sd_journal_previous(journal)
    }

    /// Positions so that `next()` returns the entry after `cursor`. Returns false when the
    /// cursor is not in the journal any more (vacuumed): the caller starts at the head.
    public func seek(after cursor: String) -> Bool {
        guard let journal else { return false }
        guard cursor.withCString({ sd_journal_seek_cursor(journal, $0) }) >= 0 else { return false }
        // The journal positions *near* the cursor; the next entry is the one it names if it
        // still exists, which has been read already.
        guard sd_journal_next(journal) > 0 else { return true }
        if cursor.withCString({ sd_journal_test_cursor(journal, $0) }) > 0 { return true }
        sd_journal_previous(journal)
        return true
    }

    /// Moves to the next entry; false at the end.
    @inline(__always)
    public func next() -> Bool {
        guard let journal else { return false }
        return sd_journal_next(journal) > 0
    }

    public func cursor() -> String? {
        guard let journal else { return nil }
        var c: UnsafeMutablePointer<CChar>?
        guard sd_journal_get_cursor(journal, &c) >= 0, let c else { return nil }
        defer { free(c) }
        return String(cString: c)
    }

    // MARK: Reading

    /// The current entry as a record view: every field, MESSAGE as the message (bytes, as
    /// stored), and the time the entry was created at its source when it says so.
    public func withCurrentEntry<R>(index: Int, _ body: (inout RecordView) throws -> R) rethrows -> R {
        // Work on a local array: a class property would cost an exclusivity check per field.
        var fields = self.fields
        self.fields = []
        defer {
            fields.removeAll(keepingCapacity: true)
            self.fields = fields
        }
        fields.removeAll(keepingCapacity: true)
        var realtime: UInt64 = 0
        if let journal { sd_journal_get_realtime_usec(journal, &realtime) }
        var view = RecordView(line: index, format: .journal, timestamp: Timestamp(microseconds: Int64(realtime)),
                              message: UnsafeRawBufferPointer(start: nil, count: 0))
        if let journal {
            sd_journal_restart_data(journal)
            var data: UnsafeRawPointer?
            var length = 0
            while sd_journal_enumerate_data(journal, &data, &length) > 0 {
                guard let data else { continue }
                let bytes = UnsafeRawBufferPointer(start: data, count: length)
                // Field names are short: a plain scan beats a memchr call.
                var eq = 0
                while eq < length && bytes[eq] != 0x3D { eq += 1 }  // FIELD=value
                guard eq < length else { continue }
                let key = UnsafeRawBufferPointer(rebasing: bytes[..<eq])
                let value = UnsafeRawBufferPointer(rebasing: bytes[(eq + 1)...])
                fields.append(FieldEntry(key: key, value: value, kind: .string))
                view.takeJournalField(key: key, value: value)
            }
        }
        return try fields.withUnsafeBufferPointer { buffer in
            view.fields = buffer
            return try body(&view)
        }
    }

    // MARK: Waiting

    /// A descriptor to poll for new entries (live follow on a dedicated thread).
    public var fileDescriptor: Int32 {
        guard let journal else { return -1 }
        return sd_journal_get_fd(journal)
    }

    public var pollEvents: Int16 {
        guard let journal else { return 0 }
        return Int16(truncatingIfNeeded: sd_journal_get_events(journal))
    }

    /// Milliseconds sd-journal wants to be woken after at the latest (-1: no limit). Without
    /// inotify it needs periodic checks; with it, none.
    public var pollTimeoutMillis: Int32 {
        guard let journal else { return -1 }
        var usec: UInt64 = 0
        guard sd_journal_get_timeout(journal, &usec) >= 0, usec != crier_sd_no_timeout() else { return -1 }
        let nowUsec = MonotonicClock.microseconds()
        return usec <= nowUsec ? 0 : Int32(min((usec - nowUsec + 999) / 1000, UInt64(Int32.max)))
    }

    /// Call after the descriptor became readable or the timeout passed.
    public func process() -> Change {
        guard let journal else { return .nothing }
        switch sd_journal_process(journal) {
        case Int32(SD_JOURNAL_APPEND): return .appended
        case Int32(SD_JOURNAL_INVALIDATE): return .invalidated
        default: return .nothing
        }
    }

    /// Whether the journal directories exist but this user may not read them: the one
    /// clear message for "no permission" (sd-journal itself silently shows only the user's
    /// own journal).
    public static func permissionProblem(directory: String? = nil) -> String? {
        if let directory {
            // A journal directory of one's own: it exists and can be read, or it is waited for.
            var st = stat()
            guard stat(directory, &st) == 0 else { return nil }
            return access(directory, R_OK | X_OK) == 0 ? nil : SystemdJournal.groupAdvice(directory)
        }
        for dir in ["/var/log/journal", "/run/log/journal"] {
            var st = stat()
            guard stat(dir, &st) == 0 else { continue }
            guard let d = opendir(dir) else {
                return SystemdJournal.groupAdvice(dir)
            }
            defer { closedir(d) }
            while let entry = readdir(d) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                guard name.count == 32 else { continue }  // machine-id directories
                let machineDir = "\(dir)/\(name)"
                if access(machineDir, R_OK | X_OK) != 0 { return SystemdJournal.groupAdvice(machineDir) }
                if let files = opendir(machineDir) {
                    defer { closedir(files) }
                    while let f = readdir(files) {
                        let file = withUnsafeBytes(of: f.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                        if file == "system.journal" && access("\(machineDir)/\(file)", R_OK) != 0 {
                            return SystemdJournal.groupAdvice("\(machineDir)/\(file)")
                        }
                    }
                }
            }
        }
        return nil
    }

    static func groupAdvice(_ path: String) -> String {
        "no permission to read the journal (\(path)); add the user running crier to the "
            + "'systemd-journal' group (or 'adm'): usermod -aG systemd-journal USER"
    }
}

/// sd_notify: readiness, status and watchdog pings to systemd (Type=notify units).
public enum SystemdNotify {
    /// Whether systemd asked for notifications (`$NOTIFY_SOCKET` is set).
    public static var isEnabled: Bool { getenv("NOTIFY_SOCKET") != nil }

    @discardableResult
    public static func send(_ state: String) -> Bool {
        state.withCString { sd_notify(0, $0) } > 0
    }

    /// The watchdog interval systemd expects pings within (`WATCHDOG_USEC`), if enabled.
    public static var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}

extension SystemdJournal {
    /// The libsystemd loaded at run time, as its file's full version (`libsystemd.so.0.35.0`
    /// → `0.35.0`, systemd 252).
    public static var libraryVersion: String {
        guard let loaded = crier_sd_library_file(), let path = realpath(loaded, nil) else { return "unknown" }
        defer { free(path) }
        let file = String(cString: path).split(separator: "/").last.map(String.init) ?? ""
        return file.hasPrefix("libsystemd.so.") ? String(file.dropFirst("libsystemd.so.".count)) : file
    }
}
