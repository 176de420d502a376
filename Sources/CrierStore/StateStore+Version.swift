import GRDB

extension StateStore {
    /// The SQLite loaded at run time (`3.40.1`), as GRDB reports it.
    public static var sqliteVersion: String {
        let n = Int(Database.sqliteLibVersionNumber)
        return "\(n / 1_000_000).\(n / 1000 % 1000).\(n % 1000)"
    }
}
