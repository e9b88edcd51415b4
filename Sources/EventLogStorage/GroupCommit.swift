// SPDX-License-Identifier: Apache-2.0
// The rounds of group commit behind LogWriter.sync(): one caller at a time
// leads a round (writes what is appended, fdatasyncs); callers arriving
// meanwhile sleep until a round ends, then either find their records
// covered or lead the next round for everyone still waiting.
//
// Followers sleep on a futex word, not on a condition variable: woken from a
// condition variable, each must take its mutex again, one after another, on
// a machine with fewer cores than callers; here each checks an atomic and
// returns. (A new leader that waited some 50 us for the last round's
// callers to come back made rounds larger, 6.5 instead of 4.5 records per
// fdatasync with 8 threads, but not faster: it was left out.)
import CEventLogShims
import Synchronization

final class GroupCommit: @unchecked Sendable {
    /// Every record below this offset is on disk (fdatasync returned).
    private let synced = Atomic<Int64>(0)
    private let leaderBusy = Atomic<Bool>(false)
    /// Bumped when a round ends; followers wait on it.
    private let roundsEnded = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)

    init() { roundsEnded.initialize(to: 0) }

    deinit { roundsEnded.deallocate() }

    /// Notes that every record below `offset` is durable.
    func markSynced(upTo offset: Int64) {
        var current = synced.load(ordering: .relaxed)
        while current < offset {
            let (exchanged, original) = synced.compareExchange(
                expected: current, desired: offset, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }

    /// Returns once every record below `target` is durable, leading rounds
    /// (`round` returns the offset below which it made all durable) when no
    /// other caller is.
    func waitUntilSynced(_ target: Int64, leading round: () throws(EventLogError) -> Int64) throws(EventLogError) {
        while synced.load(ordering: .acquiring) < target {
            let seen = eventlog_load_seqcst_u32(roundsEnded)
            if leaderBusy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged {
                let result = Result { () throws(EventLogError) in try round() }
                if case .success(let covered) = result { markSynced(upTo: covered) }
                leaderBusy.store(false, ordering: .releasing)
                _ = eventlog_fetch_add_seqcst_u32(roundsEnded, 1)
                eventlog_futex_wake_all(roundsEnded)
                if case .failure(let error) = result { throw error }
                continue
            }
            // A round that ended since `seen` was read bumped the word, and
            // the wait returns at once.
            if synced.load(ordering: .acquiring) >= target { return }
            _ = eventlog_futex_wait(roundsEnded, seen, -1)
        }
    }
}
