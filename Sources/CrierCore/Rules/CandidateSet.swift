/// The slots of a `RuleMatcher` worth confirming on the record at hand: one bit per slot,
/// so candidates come out in slot (rule) order whatever order a scan names them in.
///
/// Plain memory, allocated once by its matcher and freed by it: arrays here would be
/// retained and released for every record.
struct CandidateSet {
    let wordCount: Int
    private let words: UnsafeMutablePointer<UInt64>
    /// Slots no scan can rule out (no literal to look for): candidates for every record.
    private let always: UnsafeMutablePointer<UInt64>

    init(slotCount: Int, always slots: [Int]) {
        wordCount = max(1, (slotCount + 63) / 64)
        words = .allocate(capacity: wordCount)
        words.initialize(repeating: 0, count: wordCount)
        always = .allocate(capacity: wordCount)
        always.initialize(repeating: 0, count: wordCount)
        for slot in slots { always[slot >> 6] |= 1 << UInt64(slot & 63) }
    }

    func deallocate() {
        words.deallocate()
        always.deallocate()
    }

    /// Back to the slots every record is a candidate for.
    @inline(__always)
    func reset() { words.update(from: always, count: wordCount) }

    @inline(__always)
    func insert(_ slot: Int) { words[slot >> 6] |= 1 << UInt64(slot & 63) }

    @inline(__always)
    func contains(_ slot: Int) -> Bool { words[slot >> 6] & (1 << UInt64(slot & 63)) != 0 }

    @inline(__always)
    func word(_ index: Int) -> UInt64 { words[index] }
}

/// Today's candidate scan: a slot whose pattern requires literals (`LiteralPrefilter`) is a
/// candidate when the message holds one of them; the message's bytes are gathered once for
/// every pattern, and most literals are ruled out by their two rarest bytes alone.
struct LiteralCandidateScan {
    private struct Entry {
        let slot: Int
        let prefilter: LiteralPrefilter.Flat
    }

    /// Slots with a prefilter, in slot order. The flat prefilters belong to their `Regex`,
    /// kept alive by the matcher that owns this scan.
    private let entries: ContiguousArray<Entry>
    /// Slots without one: always candidates.
    let unfilteredSlots: [Int]

    /// `patterns`: each slot's regex, nil for a slot of selectors only.
    init(patterns: [Regex?]) {
        var entries = ContiguousArray<Entry>()
        var unfiltered: [Int] = []
        for (slot, regex) in patterns.enumerated() {
            if let flat = regex?.flatPrefilter, !flat.isEmpty {
                entries.append(Entry(slot: slot, prefilter: flat))
            } else {
                unfiltered.append(slot)
            }
        }
        self.entries = entries
        unfilteredSlots = unfiltered
    }

    @inline(__always)
    func scan(_ message: UnsafeRawBufferPointer, slotsBelow end: Int, into candidates: CandidateSet) {
        guard !entries.isEmpty else { return }
        let present = ByteSet(message)
        entries.withUnsafeBufferPointer { entries in
            for entry in entries {
                guard entry.slot < end else { return }
                if entry.prefilter.mayMatch(message, present: present) { candidates.insert(entry.slot) }
            }
        }
    }
}
