public import CrierCore
import Foundation

/// Finds pattern packs: shipped ones by name (embedded in the binary, so an installed
/// `crier` needs no data files), others by path to a pack file or its directory.
///
/// The shipped packs are `patterns/<name>/pack.yaml` in the repository; the EmbedPacks build
/// plugin compiles them into `EmbeddedPacks.all`, so an edit there reaches the binary on the
/// next `swift build` with nothing to regenerate.
public struct PackCatalog: Sendable {
    /// Shipped packs, name → pack.yaml text.
    public let embedded: [String: String]
    /// `$CRIER_PACKS_DIR`: a directory of `<name>/pack.yaml` that replaces shipped packs of
    /// the same name (editing a shipped pack without rebuilding).
    public let overrideDirectory: String?

    /// `embedded` defaults to the packs compiled into this binary.
    public init(embedded: [String: String]? = nil, overrideDirectory: String? = nil) {
        self.embedded = embedded ?? EmbeddedPacks.all
        self.overrideDirectory = overrideDirectory
    }

    public var shippedNames: [String] { embedded.keys.sorted() }

    /// Loads the packs named or pointed at; every problem goes to `diagnostics`.
    public func load(_ references: [String]?, diagnostics: ConfigDiagnostics, keyPath: String = "packs")
        -> [PackDefinition]
    {
        let refs = references ?? shippedNames
        var packs: [PackDefinition] = []
        var seen: [String: String] = [:]
        for (i, ref) in refs.enumerated() {
            guard let pack = loadOne(ref, diagnostics: diagnostics, keyPath: "\(keyPath)[\(i)]") else { continue }
            if let previous = seen[pack.name] {
                diagnostics.error("\(keyPath)[\(i)]", "pack '\(pack.name)' is already loaded from \(previous)")
                continue
            }
            seen[pack.name] = pack.file
            packs.append(pack)
        }
        return packs
    }

    func loadOne(_ ref: String, diagnostics: ConfigDiagnostics, keyPath: String) -> PackDefinition? {
        let isPath = ref.contains("/") || ref.hasSuffix(".yaml") || ref.hasSuffix(".yml")
        if !isPath {
            if let dir = overrideDirectory {
                let file = "\(dir)/\(ref)/pack.yaml"
                if FileManager.default.fileExists(atPath: file) { return loadFile(file, fallbackName: ref, diagnostics: diagnostics) }
            }
            guard let text = embedded[ref] else {
                diagnostics.error(keyPath, "no shipped pack is named '\(ref)' (shipped: \(shippedNames.joined(separator: ", ")); "
                                  + "give a path to use your own)")
                return nil
            }
            return PackDefinition.parse(text, file: "<shipped>/\(ref)/pack.yaml", fallbackName: ref, diagnostics: diagnostics)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: ref, isDirectory: &isDirectory) else {
            diagnostics.error(keyPath, "pack file \(ref) does not exist")
            return nil
        }
        let file = isDirectory.boolValue ? "\(ref)/pack.yaml" : ref
        let fallback = isDirectory.boolValue ? URL(fileURLWithPath: ref).lastPathComponent
            : URL(fileURLWithPath: ref).deletingLastPathComponent().lastPathComponent
        return loadFile(file, fallbackName: fallback, diagnostics: diagnostics)
    }

    func loadFile(_ file: String, fallbackName: String, diagnostics: ConfigDiagnostics) -> PackDefinition? {
        guard let data = FileManager.default.contents(atPath: file) else {
            diagnostics.error("", "cannot read pack file \(file)")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            diagnostics.error("", "pack file \(file) is not UTF-8 text")
            return nil
        }
        return PackDefinition.parse(text, file: file, fallbackName: fallbackName, diagnostics: diagnostics)
    }
}
