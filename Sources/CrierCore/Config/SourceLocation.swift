/// Where a definition was written, so compile errors can point at it.
public struct SourceLocation: Hashable, Sendable {
    public var file: String?
    public var line: Int?
    /// Inside the line, when the issue is about one character of a value.
    public var column: Int?
    public var path: String

    public init(file: String?, line: Int?, column: Int? = nil, path: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
    }
}
