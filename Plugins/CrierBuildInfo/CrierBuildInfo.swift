import Foundation
import PackagePlugin

/// Writes `CrierBuildCommit.swift` (the git commit of the source tree) into the build
/// directory before every build, so `crier --version` names its commit without a generated
/// file in git. The shell script writes only when the text changes, so an unchanged commit
/// recompiles nothing.
@main
struct CrierBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = context.package.directoryURL.appending(path: "packaging/build-commit.sh")
        // A prebuild command, not a build command: its input (the git HEAD) is not a file
        // SwiftPM can track, so it must run on every build.
        return [.prebuildCommand(
            displayName: "crier build info (git commit)",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [script.path, context.package.directoryURL.path, output.appending(path: "CrierBuildCommit.swift").path],
            outputFilesDirectory: output)]
    }
}
