import CrierCore
public import Foundation

/// A directory that exists for one test and is removed afterwards.
public final class TempDirectory {
    public let path: String

    public init(_ prefix: String = "crier-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(prefix)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `name` inside the directory and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) -> String {
        write(name, Data(contents.utf8))
    }

    @discardableResult
    public func write(_ name: String, _ data: Data) -> String {
        let file = "\(path)/\(name)"
        let dir = (file as NSString).deletingLastPathComponent
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file, contents: data)
        return file
    }
}

/// Paths in this checkout, found from the test source location.
public enum Repository {
    public static func root(file: StaticString = #filePath) -> String {
        var url = URL(fileURLWithPath: "\(file)")
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(file)")
    }

    /// Logs written for the tests (Tests/Fixtures/README.md says what each is for).
    public static var fixtures: String { "\(root())/Tests/Fixtures" }

    /// A copy of loghub's samples, for optional smoke tests only: `$CRIER_LOGHUB_DIR`, else
    /// where the team keeps one beside the checkout. Nil when absent; every assertion that
    /// matters also runs on `fixtures`.
    public static var loghub: String? {
        let dir = ProcessInfo.processInfo.environment["CRIER_LOGHUB_DIR"] ?? "\(root())/../shared/corpus/loghub"
        return FileManager.default.fileExists(atPath: dir) ? dir : nil
    }
}

/// Golden files: the test compares against the file; `CRIER_UPDATE_GOLDENS=1` rewrites it.
public enum Golden {
    public static var updating: Bool { ProcessInfo.processInfo.environment["CRIER_UPDATE_GOLDENS"] == "1" }

    /// Returns nil when `actual` matches the golden (or was written), else a message with a diff hint.
    public static func check(_ actual: String, against path: String) -> String? {
        if updating {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
            try! actual.write(toFile: path, atomically: true, encoding: .utf8)
            return nil
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            return "golden \(path) is missing; run the tests with CRIER_UPDATE_GOLDENS=1 and review it"
        }
        if expected == actual { return nil }
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let first = zip(e, a).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(e.count, a.count)
        return "differs from \(path) at line \(first + 1):\n  expected: \(first < e.count ? String(e[first]) : "<end>")\n"
            + "  actual:   \(first < a.count ? String(a[first]) : "<end>")"
    }
}

/// JSON text parsed with Foundation, an independent check on crier's own encoder.
public func parseJSON(_ text: String) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
