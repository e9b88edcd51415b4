// SPDX-License-Identifier: Apache-2.0
// When a segment's batches get index entries: Kafka's LogSegment.append rule
// (Docs/FORMAT.md §6.3), kept in one place for every writer of indexes — the
// active segment, the index rebuild and the compactor's cleaned segment.
// After more than `intervalBytes` have been written since the last entry, the
// next batch gets an .index entry (its last offset, its position) and the
// .timeindex an entry for the largest timestamp so far (and the last offset
// of its batch) if it is larger than the last one there. Closing a segment
// forces a last time-index entry the same way. A value; not thread-safe.
internal import EventLogFormat

struct IndexRule {
    static let intervalBytes = 4096

    let base: Int64
    private(set) var bytesSinceEntry: Int
    /// The largest timestamp in the segment and the last offset of its batch.
    private(set) var maxTimestamp: Int64
    private(set) var maxTimestampOffset: Int64
    /// The timestamp of the last time-index entry, -1 if there is none.
    private var lastIndexedTimestamp: Int64

    init(
        base: Int64, bytesSinceEntry: Int = 0, maxTimestamp: Int64 = -1, maxTimestampOffset: Int64? = nil,
        lastIndexedTimestamp: Int64 = -1
    ) {
        self.base = base
        self.bytesSinceEntry = bytesSinceEntry
        self.maxTimestamp = maxTimestamp
        self.maxTimestampOffset = maxTimestampOffset ?? base
        self.lastIndexedTimestamp = lastIndexedTimestamp
    }

    /// Takes the next batch, `size` bytes at `position`, and returns the
    /// offset-index entry it gets, if any; `timeEntry()` then gives the
    /// time-index entry that goes with it. Nil too when the position or the
    /// relative offset does not fit the index's int32 fields.
    mutating func add(_ header: RecordBatchHeader, at position: Int, size: Int) -> OffsetIndexEntry? {
        if header.maxTimestamp > maxTimestamp {
            maxTimestamp = header.maxTimestamp
            maxTimestampOffset = header.lastOffset
        }
        var entry: OffsetIndexEntry?
        if bytesSinceEntry > Self.intervalBytes, let relative = Int32(exactly: header.lastOffset - base),
            let bytePosition = Int32(exactly: position)
        {
            entry = OffsetIndexEntry(relativeOffset: relative, position: bytePosition)
            bytesSinceEntry = 0
        }
        bytesSinceEntry += size
        return entry
    }

    /// The time-index entry for the largest timestamp so far, if it is
    /// larger than the last one given (and the index has room for it).
    mutating func timeEntry() -> TimeIndexEntry? {
        guard maxTimestamp >= 0, maxTimestamp > lastIndexedTimestamp,
            let relative = Int32(exactly: maxTimestampOffset - base)
        else { return nil }
        lastIndexedTimestamp = maxTimestamp
        return TimeIndexEntry(timestamp: maxTimestamp, relativeOffset: relative)
    }
}
