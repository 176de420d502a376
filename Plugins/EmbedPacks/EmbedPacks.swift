import Foundation
import PackagePlugin

/// Embeds the shipped packs in CrierRuntime at build time, so that `patterns/<pack>/pack.yaml`
/// (beside its `testdata/`) is the only copy and an installed `crier` needs no data files.
///
/// `Sources/CrierRuntime/ShippedPacks` is a symlink to `patterns/`: through it the pack files
/// are files of the target, so SwiftPM hands them to this plugin, and adding or removing a
/// pack directory re-plans the build like adding a source file does (a plugin that listed
/// `patterns/` itself would keep the pack list of its first run). An edited `pack.yaml` is a
/// declared input and reruns the tool.
///
/// SwiftPM's `.embedInCode` resources do not fit: every pack file is named `pack.yaml`, which
/// SwiftPM refuses as duplicate resource names, and the `[UInt8]` literals it generates took
/// minutes to compile for the packs' 150 KB.
@main
struct EmbedPacks: BuildToolPlugin {
    static let directory = "ShippedPacks"

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let shipped = module.sourceFiles.map(\.url).filter { $0.pathComponents.contains(Self.directory) }
        // `ShippedPacks/<name>/pack.yaml`, not the files of testdata/.
        let packs = shipped
            .filter { url in
                let parts = url.pathComponents
                return parts.count >= 3 && parts[parts.count - 1] == "pack.yaml" && parts[parts.count - 3] == Self.directory
            }
            .sorted { $0.path < $1.path }
        if packs.isEmpty {
            Diagnostics.error("no pack files under \(module.directoryURL.path)/\(Self.directory)/*/pack.yaml "
                              + "(it should be a symlink to patterns/)")
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedPacks.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(packs.count) packs from patterns/",
                executable: try context.tool(named: "PackEmbedder").url,
                arguments: [output.path] + packs.map(\.path),
                // testdata/ files are inputs only so that SwiftPM counts them as handled (it
                // warns about every file of a target that no command reads); the tool rewrites
                // its output only when a pack.yaml changed, so a new golden recompiles nothing.
                inputFiles: shipped,
                outputFiles: [output]),
        ]
    }
}
