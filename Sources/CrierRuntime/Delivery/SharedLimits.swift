import CrierCore
import Synchronization

/// Global blocks shared by the notifiers of one kind: Discord's `global: true` 429 (or a
/// Cloudflare ban) stops every Discord webhook from this host, not just the one that saw it.
final class SharedLimits: Sendable {
    private let blocked = Mutex<[NotifierKind: Timestamp]>([:])

    func block(_ kind: NotifierKind, until: Timestamp) {
        blocked.withLock { $0[kind] = max($0[kind] ?? .distantPast, until) }
    }

    func blockedUntil(_ kind: NotifierKind) -> Timestamp? { blocked.withLock { $0[kind] } }
}
