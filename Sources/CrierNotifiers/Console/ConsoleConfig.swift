public import CrierCore

/// The console (`type: console`): standard output, what `crier` uses when no notifier is
/// configured. It has only the settings every notifier has.
public struct ConsoleConfig: Sendable {
    /// Name, pacing, retry age and storm threshold: what every kind has.
    public var common: NotifierCommon

    public init(common: NotifierCommon) { self.common = common }

    public init(name: String = "console") { self.init(common: NotifierCommon(name: name)) }

    /// Every key, as a test decodes it.
    public static let example = """
        notifiers:
          - name: stdout
            type: console
            storm_threshold: 100
        """

    static func read(_ entry: NotifierEntry) -> ConsoleConfig? { ConsoleConfig(common: entry.common) }
}
