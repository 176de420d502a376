import CrierCore
import Foundation
import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The state database, `state_dir/crier.db`: SQLite through GRDB, in WAL mode. Its tables
/// and their formats are documented in `StateSchema`; the SQL of each job lives in one file:
/// the batch commit and what it restores (`BatchCommit`), the outbox (`Outbox`), the
/// delivery state per notifier (`NotifierStateStore`).
public final class StateStore: Sendable {
    public let path: String
    let pool: DatabasePool
    static let fileName = "crier.db"
    /// Stored values skipped while restoring (unreadable, or from a newer crier), each said
    /// so that a user knows what was lost; the runtime logs them.
    private let problems = Mutex<[String]>([])

    /// Opens (creating if needed) `directory/crier.db`.
    /// - Parameter reset: move an existing database aside (never delete it) and start empty.
    public init(directory: String, reset: Bool = false) throws(StoreError) {
        path = "\(directory)/\(StateStore.fileName)"
        if let problem = StateStore.accessProblem(directory: directory) { throw problem }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError("cannot create the state directory \(directory): \(error.localizedDescription)")
        }
        if reset { try StateStore.moveAside(path) }
        var config = Configuration()
        config.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a crash of crier (not of the machine's power)
            // without an fsync per batch.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        config.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            let migrator = StateSchema.migrator
            try pool.read { db in
                if try migrator.hasBeenSuperseded(db) {
                    throw StoreError("the state file \(path) was written by a newer crier (schema "
                        + "\(try migrator.appliedIdentifiers(db).sorted().last ?? "?")); refusing to touch it. "
                        + "Upgrade crier, or start over with --reset-state (the old file is kept as a backup)")
                }
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            if let problem = StateStore.accessProblem(directory: directory) { throw problem }
            throw StoreError("the state file \(path) cannot be used (\(StateStore.describe(error))); it may be damaged. "
                + "Move it aside, or start over with --reset-state (the old file is kept as a backup)")
        }
    }

    static func moveAside(_ path: String) throws(StoreError) {
        let fm = FileManager.default
        guard fm.fileExists(atPath: path) else { return }
        let stamp = Int(Date().timeIntervalSince1970)
        for suffix in ["", "-wal", "-shm"] where fm.fileExists(atPath: path + suffix) {
            do {
                try fm.moveItem(atPath: path + suffix, toPath: "\(path).reset-\(stamp)\(suffix)")
            } catch {
                throw StoreError("cannot move the old state file \(path)\(suffix) aside: \(error.localizedDescription)")
            }
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return "SQLite: \(e.message ?? "\(e.resultCode)")" }
        return "\(error)"
    }

    // MARK: - Permissions

    /// A permission problem with the state directory or its files, said as one: which file,
    /// who owns it, and who crier runs as. Another user's state is not damaged, and resetting
    /// it would throw that user's state away. nil when nothing is in the way.
    public static func accessProblem(directory: String) -> StoreError? {
        let file = "\(directory)/\(fileName)"
        var st = stat()
        if stat(directory, &st) != 0 {
            guard errno == EACCES else { return nil }  // missing: it is created
            return StoreError("no permission to reach the state directory \(directory) (for \(file)): "
                + "a directory above it is closed to \(user(geteuid())), the user crier runs as")
        }
        var blocked: (path: String, st: stat)?
        if access(directory, W_OK | X_OK) != 0 && errno == EACCES { blocked = (directory, st) }
        for suffix in ["", "-wal", "-shm"] where blocked == nil {
            var fst = stat()
            if stat(file + suffix, &fst) == 0 && access(file + suffix, R_OK | W_OK) != 0 && errno == EACCES {
                blocked = (file + suffix, fst)
            }
        }
        guard let (path, owner) = blocked else { return nil }
        let me = user(geteuid())
        return StoreError("no permission to open the state file \(file): \(path) is owned by \(user(owner.st_uid)) "
            + "(mode \(String(owner.st_mode & 0o7777, radix: 8))), and crier runs as \(me). This is a permission problem, "
            + "not damage: run crier as \(user(owner.st_uid)), or give \(me) read and write access "
            + "to \(directory) and the crier.db files in it")
    }

    static func user(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    // MARK: - Problems met while restoring

    func report(_ problem: String) { problems.withLock { $0.append(problem) } }

    /// What was skipped since the last call (unreadable rows), for the log.
    public func takeProblems() -> [String] { problems.withLock { p in defer { p = [] }; return p } }

    // MARK: - Helpers

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch let e as StoreError { throw e } catch {
            throw StoreError("reading \(path): \(StateStore.describe(error))")
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.write(body) } catch let e as StoreError { throw e } catch {
            throw StoreError("writing \(path): \(StateStore.describe(error))")
        }
    }
}

/// A state database problem, said so that a user knows what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
