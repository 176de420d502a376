/// Where a live source resumes after a restart. Stored as JSON in the state database.
public enum SourceCheckpoint: Hashable, Sendable, Codable {
    /// A journal cursor (`sd_journal_get_cursor`).
    case journal(cursor: String)
    /// A tailed file: the file identity and the offset after the last complete line read.
    /// `headFingerprint` hashes the first `headLength` bytes, so a new file that reuses the
    /// inode is told apart from the one that was being read.
    case file(path: String, device: UInt64, inode: UInt64, offset: UInt64, headFingerprint: UInt64, headLength: Int)

    /// Stored in `source_checkpoint.position`: renaming a case or label must not change these.
    enum CodingKeys: String, CodingKey { case journal, file }
    enum JournalCodingKeys: String, CodingKey { case cursor }
    enum FileCodingKeys: String, CodingKey { case path, device, inode, offset, headFingerprint, headLength }
}
