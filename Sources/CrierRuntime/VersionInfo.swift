import CrierCore
import CrierNotifiers
import CrierSources
import CrierStore

/// What `crier --version` prints: crier's version, the commit it was built from (written
/// into the build directory by the CrierBuildInfo plugin: `unknown` for a build outside
/// git), and the versions of the C libraries as loaded at run time, which on a host with
/// the shared libraries can differ from the ones crier was built against.
public enum VersionInfo {
    /// The release version; the Debian package takes its version from here.
    public static let version = "0.1.0"

    public static var text: String {
        """
        crier \(version) (commit \(commit))
        PCRE2 \(Regex.libraryVersion)
        libsystemd \(SystemdJournal.libraryVersion)
        libcurl \(CurlTransport.libraryVersion)
        SQLite \(StateStore.sqliteVersion)
        """
    }
}
