import CrierCore
import CrierPlatform

/// Delivery on real time: the wall clock (outbox rows and back-offs are wall times), and
/// sleeps on Swift's clock, ended early by the doorbell.
struct LiveDeliveryClock: DeliveryClock {
    func now() -> Timestamp { WallClock.now() }

    func sleep(until deadline: Timestamp?, bell: Doorbell) async {
        let shot = OneShot()
        guard bell.listen({ shot.fire() }) else { return }
        let timer = deadline.map { deadline in
            Task {
                let delay = deadline - WallClock.now()
                if delay > .zero { try? await Task.sleep(for: .microseconds(delay.microseconds)) }
                shot.fire()
            }
        }
        await withTaskCancellationHandler {
            await shot.wait()
        } onCancel: {
            shot.fire()
        }
        timer?.cancel()
        bell.stopListening()
    }
}
