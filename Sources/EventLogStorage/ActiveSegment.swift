// SPDX-License-Identifier: Apache-2.0
// The segment being written: its .log, written with pwrite, and its .index
// and .timeindex, written through shared mappings. The .log file is
// preallocated ahead of the write position with fallocate, so a full disk is
// an error at allocation time; roll and close trim every file to its data.
// Batches go in with pwrite rather than stores into a mapping: after each
// fdatasync the kernel write-protects the mapping's pages again, and the next
// store into one faulted through ext4's page_mkwrite; with pwrite a group
// commit round took less time (8 threads syncing each append: 52-57 k/s
// through the mapping, 64-71 k/s with pwrite) and non-durable appends used
// less system time.
// Index entries follow IndexRule (Kafka's LogSegment.append). Owned by the writer; not thread-safe.
internal import EventLogFormat
import Glibc

final class ActiveSegment {
    /// Preallocation step of the .log: large enough that fallocate is rare,
    /// small enough that a fresh segment does not claim much unused space.
    static let allocationStep = 8 << 20

    let base: Int64
    /// The roll size: preallocation never goes past it.
    private let segmentBytes: Int
    /// The .log file; LogWriter syncs it after rolling away from the segment.
    let log: FileHandle
    private var allocated: Int
    private(set) var position: Int
    let offsetIndex: IndexFile
    let timeIndex: IndexFile
    private var indexRule: IndexRule
    /// The largest timestamp in the segment.
    var maxTimestamp: Int64 { indexRule.maxTimestamp }
    /// The offset after the last batch in the segment.
    private(set) var nextOffset: Int64

    /// How far a segment found on disk is indexed: its batches before
    /// `position`, whose largest timestamp (-1 if none) is at
    /// `maxTimestampOffset` (nil: the base).
    struct Resume {
        var position = 0
        var offsetIndexEntries = 0
        var timeIndexEntries = 0
        var maxTimestamp: Int64 = -1
        var maxTimestampOffset: Int64?
    }

    /// Opens (creating if needed) the segment at `base`. With `resume`, the
    /// file holds valid batches up to `validEnd`, of which those before
    /// `resume.position` are already indexed; the caller adopts the rest.
    init(
        folder: DirectoryHandle, base: Int64, segmentBytes: Int, mode: mode_t, resume: Resume? = nil,
        validEnd: Int = 0
    ) throws(EventLogError) {
        self.base = base
        self.segmentBytes = segmentBytes
        let state = resume ?? Resume()
        // A new segment must not exist yet: opening an existing one with
        // O_CREAT and truncating it would silently destroy its batches.
        log = try folder.open(
            SegmentFileName.name(base: base, .log), flags: resume == nil ? O_RDWR | O_CREAT | O_EXCL : O_RDWR,
            mode: mode)
        // Whatever lies past the valid data (a torn batch, preallocated
        // zeros) goes, so it can never be mistaken for data later.
        try log.truncate(to: max(validEnd, state.position))
        allocated = max(validEnd, state.position)
        position = state.position
        let maxEntries = segmentBytes / IndexRule.intervalBytes + 2
        offsetIndex = try IndexFile.openForWriting(
            in: folder, SegmentFileName.name(base: base, .offsetIndex),
            entrySize: OffsetIndexEntry.size, keeping: state.offsetIndexEntries, capacity: maxEntries, mode: mode)
        timeIndex = try IndexFile.openForWriting(
            in: folder, SegmentFileName.name(base: base, .timeIndex),
            entrySize: TimeIndexEntry.size, keeping: state.timeIndexEntries, capacity: maxEntries, mode: mode)
        indexRule = IndexRule(
            base: base, maxTimestamp: state.maxTimestamp, maxTimestampOffset: state.maxTimestampOffset,
            lastIndexedTimestamp: timeIndex.last(as: TimeIndexEntry.self)?.timestamp ?? -1)
        // Recovery adopts the batches from `resume.position` on, which moves it.
        nextOffset = base
    }

    /// Whether a batch of `size` bytes ending at `lastOffset` must go to a new
    /// segment: the segment would outgrow `segmentBytes`, relative offsets
    /// would overflow int32, or the indexes are full.
    func needsRoll(batchSize: Int, lastOffset: Int64) -> Bool {
        guard position > 0 else { return false }
        return position + batchSize > segmentBytes
            || lastOffset - base > Int64(Int32.max)
            || offsetIndex.isFull || timeIndex.isFull
    }

    /// Copies one complete, sealed batch to the end of the segment.
    func append(batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws(EventLogError) {
        let end = position + batch.count
        guard end <= SegmentReader.activeMappingLength - 1 else {
            throw EventLogError(.tooBig, "\(log.path): batch of \(batch.count) bytes does not fit in a segment")
        }
        if end > allocated {
            // Grow by doubling, at most a step at a time, and not past the
            // roll size: a small segment must not preallocate 8 MiB.
            let grown = max(min(allocated * 2, allocated + Self.allocationStep), Self.allocationStep)
            let target = max(end, min(grown, segmentBytes))
            var rounded = (target + 4095) & ~4095
            do {
                try log.allocate(offset: allocated, length: rounded - allocated)
            } catch  where error.code == .noSpace && rounded > (end + 4095) & ~4095 {
                // No room for a whole step ahead: take only what this batch
                // needs, so that the last megabytes of a disk stay usable.
                rounded = (end + 4095) & ~4095
                try log.allocate(offset: allocated, length: rounded - allocated)
            }
            allocated = rounded
        }
        try log.write(batch, at: position)
        account(header: header, size: batch.count)
    }

    /// Takes a batch already in the file at `at` (recovery) into the segment's
    /// state and indexes, as if it had just been appended.
    func adopt(header: RecordBatchHeader, at: Int) {
        precondition(at == position)
        account(header: header, size: header.totalSize)
    }

    private func account(header: RecordBatchHeader, size: Int) {
        if let entry = indexRule.add(header, at: position, size: size) {
            offsetIndex.append { entry.store(to: $0) }
            appendTimeIndexEntryIfNewer()
        }
        position += size
        nextOffset = header.nextOffset
    }

    private func appendTimeIndexEntryIfNewer() {
        guard !timeIndex.isFull, let entry = indexRule.timeEntry() else { return }
        timeIndex.append { entry.store(to: $0) }
    }

    /// Makes the written batches durable. Called outside the writer's lock
    /// (group commit syncs while the flusher writes on), so it touches no
    /// state of the segment: only the file.
    func sync() throws(EventLogError) { try log.syncData() }

    /// Finishes the segment (roll or close): a last time-index entry for the
    /// largest timestamp, as Kafka forces one, and every file trimmed to its
    /// data so that Kafka, which sizes indexes by file length, reads it.
    func finish(sync: Bool) throws(EventLogError) {
        appendTimeIndexEntryIfNewer()
        try log.truncate(to: position)
        allocated = position
        try offsetIndex.trim()
        try timeIndex.trim()
        if sync {
            try log.syncData()
            try offsetIndex.sync()
            try timeIndex.sync()
        }
    }
}
