#if canImport(Glibc)
import Glibc
#endif
public import CrierCore

/// A finite input read to its end: a log file (or stdin) or a binary journal.
public protocol RecordReader: AnyObject {
    var stats: ReadStats { get }
    func forEachRecord(_ body: (inout RecordView) throws -> Void) throws
}

extension LogFileReader: RecordReader {}

/// Opens `path` with the reader its format needs: a directory or a file starting with the
/// journal magic is a binary journal; anything else goes to `LogFileReader`.
public func openRecordReader(path: String, format: InputFormat, options: ReaderOptions) throws(SourceError) -> any RecordReader {
    if format == .journal || (format == .auto && path != "-" && JournalFileReader.looksLikeJournal(path)) {
        return try JournalFileReader(path: path)
    }
    return try LogFileReader(path: path, format: format, options: options)
}

/// Replays a binary journal file or directory from its first entry to its last.
public final class JournalFileReader: RecordReader {
    public let path: String
    public private(set) var stats = ReadStats()
    private let journal: SystemdJournal

    public init(path: String) throws(SourceError) {
        self.path = path
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw SourceError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let isDirectory = (st.st_mode & S_IFMT) == S_IFDIR
        if !isDirectory && access(path, R_OK) != 0 {
            throw SourceError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        journal = try SystemdJournal(location: isDirectory ? .directory(path) : .files([path]))
        stats.format = .journal
    }

    public func forEachRecord(_ body: (inout RecordView) throws -> Void) throws {
        journal.seekHead()
        var index = 0
        while journal.next() {
            index += 1
            try journal.withCurrentEntry(index: index) { view in try body(&view) }
        }
        stats.lines = index
    }

    /// A directory (a journal directory) or a file with the journal header magic.
    static func looksLikeJournal(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        if (st.st_mode & S_IFMT) == S_IFDIR { return true }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 8)
        return read(fd, &magic, 8) == 8 && magic == Array("LPKSHHRH".utf8)
    }
}
