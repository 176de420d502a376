import CrierCore
import CrierNotifiers
import CrierStore

extension OutboxEntry {
    /// A message the pipeline decided (live, or `replay --send`), as its outbox row.
    init(_ message: OutgoingMessage) {
        self.init(notifier: message.notifier, notifierKind: message.kind, kind: OutboxMessageKind(reason: message.batch.reason),
                  batch: message.batch, payload: message.payload.body.encoded)
    }
}
