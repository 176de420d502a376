/// One `notifiers:` item while it is read: the shared settings Core has read, and the
/// mapping whose other keys belong to the kind named by `type`. Core cannot name the kinds
/// (they live in CrierNotifiers, which depends on Core), so the kind's reader is handed
/// this; once it returns, keys neither of them read are reported as unknown.
public struct NotifierEntry {
    public let common: NotifierCommon
    public let map: ConfigMap

    public init(common: NotifierCommon, map: ConfigMap) {
        self.common = common
        self.map = map
    }
}
