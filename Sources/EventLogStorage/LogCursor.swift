// SPDX-License-Identifier: Apache-2.0
// A position in the log that reads forward: seeks by offset or time, then
// reads batch after batch, checking each batch's CRC, decompressing it into
// a buffer of its own (or, uncompressed, decoding it straight from the
// mapping), and waits on the head file for batches not yet written. The
// first read after a seek by offset may decode only one LZ4 block of a batch
// already checked in full (PointRead.swift).
//
// Four files: this one reads and moves between segments;
// LogCursorSeeking.swift positions it by offset or time;
// LogCursorBatches.swift loads and checks one batch; RecordHandOut.swift
// hands its records out. Borrowed results: the records of one `read` call
// point into buffers and mappings that the cursor keeps until its next
// call. Not thread-safe: a cursor belongs to one thread at a time.
package import EventLogFormat

package final class LogCursor {
    let state: LogState
    /// The next offset to be assigned, which for the writer's own process
    /// counts records still waiting in the producer batch.
    let endOffset: () -> Int64

    // Position.
    var segment: SegmentReader?
    private var segmentEnd: Int?  // set once the segment is known to be closed
    private var activeFileSize: (base: Int64, size: Int) = (-1, 0)  // the active segment's file size, last seen
    var position = 0
    @exclusivity(unchecked) package internal(set) var nextOffset: Int64

    // The batch being returned and the per-call results. Touched for every
    // record: the runtime exclusivity checks a class's stored properties
    // get by default cost more than the decoding itself, and a cursor is
    // used by one thread at a time by contract.
    @exclusivity(unchecked) var handOut = RecordHandOut()
    /// The offset after the batch loaded (or walked over) last.
    @exclusivity(unchecked) var batchNextOffset: Int64 = 0
    var batchBuffer: ByteBuffer?
    /// Set by a seek by offset until the batch it found is loaded: that load
    /// may read one block of the batch (PointRead.swift) instead of all.
    var seekedIntoBatch = false

    // What the current call must keep alive. Touched by every call, as
    // `handOut` is.
    @exclusivity(unchecked) var retiredBuffers: [ByteBuffer] = []
    @exclusivity(unchecked) var freeBuffers: [ByteBuffer] = []
    @exclusivity(unchecked) var retiredSegments: [SegmentReader] = []

    let decoder = BatchDecoder()
    /// Decodes the next batches on another thread during a replay.
    var readAhead: ReadAhead?

    /// The records the last `read` returned; `headerStart` indexes `headers`.
    package var records: [RecordView] { handOut.records }
    package var headers: [HeaderView] { handOut.headers }

    package static let oldest = Int64.max - 1
    package static let latest = Int64.max

    package init(state: LogState, endOffset: @escaping () -> Int64, offset: Int64) throws(EventLogError) {
        self.state = state
        self.endOffset = endOffset
        self.nextOffset = 0
        try seek(to: offset)
    }

    // MARK: Reading

    /// Reads the next record as `read(maxCount: 1, ...)` would and lends it
    /// to `body` with the headers its `headerStart` indexes, valid only
    /// inside `body`; nil if none arrived in time. While the loaded batch
    /// holds records this takes one straight from it, without the per-call
    /// work of `read` (one-record reads, as Cursor.next makes, were twice
    /// as slow with it), and leaves `records` and `headers` as they were.
    package func withNextRecord<R>(timeoutMilliseconds: Int, _ body: (RecordView, [HeaderView]) -> R)
        throws(EventLogError) -> R?
    {
        if !state.isClosed, let record = handOut.takeOne(nextOffset: &nextOffset, batchEnd: batchNextOffset) {
            return body(record, handOut.batchHeaders)
        }
        guard try read(maxCount: 1, timeoutMilliseconds: timeoutMilliseconds) == 1 else { return nil }
        return body(handOut.records[0], handOut.headers)
    }

    /// Reads as `read(maxCount:timeoutMilliseconds:)` does, but writes the
    /// records straight into `out` (`records` stays empty): the one copy
    /// out of the decoded batch that a caller with its own array needs.
    package func read(into out: UnsafeMutableBufferPointer<RecordView>, timeoutMilliseconds: Int)
        throws(EventLogError) -> Int
    {
        guard let start = out.baseAddress, !out.isEmpty else { return 0 }
        return try read(maxCount: out.count, into: start, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Reads up to `maxCount` records into `records`/`headers` (or `out`),
    /// waiting up to `timeoutMilliseconds` (0: no wait, < 0: forever) for
    /// the first one. Returns how many it read (0: none arrived in time).
    package func read(
        maxCount: Int, into out: UnsafeMutablePointer<RecordView>? = nil, timeoutMilliseconds: Int
    ) throws(EventLogError) -> Int {
        beginCall(into: out)
        try checkOpen()
        // No clock read for a call that does not wait (0: it returns first).
        let deadline: UInt64? =
            timeoutMilliseconds <= 0 ? nil : monotonicNanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        while true {
            handOut.take(maxCount: maxCount, nextOffset: &nextOffset, batchEnd: batchNextOffset)
            let taken = handOut.taken
            if taken == maxCount { return taken }
            let (head, sequence) = state.snapshot()
            let loaded: Bool
            do { loaded = try loadNextBatch(head) } catch {
                // Records already taken come first: the damage stays where it
                // is and the next call reports it.
                if taken > 0 { return taken }
                throw error
            }
            if loaded { continue }
            if taken > 0 || timeoutMilliseconds == 0 { return taken }
            if let deadline, monotonicNanoseconds() >= deadline { return 0 }
            let published = state.waitForPublish(after: sequence, deadline: deadline) {
                state.directoryIsGone
            }
            if !published {
                try checkOpen()
                if state.directoryIsGone {
                    throw EventLogError(
                        .notFound, "\(state.directory): the log directory was removed or replaced while waiting")
                }
                if let deadline, monotonicNanoseconds() >= deadline { return 0 }
            }
        }
    }

    private func beginCall(into out: UnsafeMutablePointer<RecordView>?) {
        handOut.beginCall(into: out)
        // Most calls hand out records of a batch loaded before: nothing retired.
        if !retiredBuffers.isEmpty {
            freeBuffers.append(contentsOf: retiredBuffers)
            retiredBuffers.removeAll(keepingCapacity: true)
        }
        if !retiredSegments.isEmpty { retiredSegments.removeAll(keepingCapacity: true) }
    }

    /// Decodes the next batch, moving to the next segment when the current
    /// one is finished. False when nothing more is written yet.
    private func loadNextBatch(_ head: HeadState) throws(EventLogError) -> Bool {
        var fresh = false
        while true {
            if segment == nil {
                let version = fresh ? nil : head.catalogVersion
                let opened = try state.catalog.relisting(version: version) { (bases) throws(EventLogError) -> Bool in
                    try checkNotOvertaken(bases)
                    guard let index = SegmentCatalog.segmentIndex(containing: nextOffset, in: bases) else {
                        return false
                    }
                    try open(segmentBase: bases[index], head: head)
                    try position(at: nextOffset, head: head)
                    return true
                }
                guard opened else { return false }
            }
            let limit: Int
            do throws(EventLogError) { limit = try currentLimit(head) } catch  where error.code == .notFound {
                // Compaction or retention replaced or deleted this segment
                // after the writer rolled away from it: find `nextOffset`
                // in a fresh listing (a merged segment may start earlier).
                if let current = segment { retiredSegments.append(current) }
                segment = nil
                fresh = true
                continue
            }
            if position < limit {
                _ = try loadBatch(limit: limit, head: head)
                return true
            }
            guard segment!.base != head.activeBase else { return false }
            if let current = segment { retiredSegments.append(current) }
            guard try moveOn(from: segment!.base, head) else { return false }
        }
    }

    /// Throws `outOfRange` when retention deleted the records from
    /// `nextOffset` on before this cursor read them: the log's first segment
    /// now starts after `nextOffset` (compaction never moves that start).
    /// The cursor stays where it is; seeking to `oldest` goes on.
    private func checkNotOvertaken(_ bases: [Int64]) throws(EventLogError) {
        guard let first = bases.first, nextOffset < first else { return }
        throw EventLogError(
            .outOfRange,
            "\(state.directory): offsets \(nextOffset)..<\(first) were deleted by retention before this cursor "
                + "read them; the log now starts at \(first)")
    }

    /// Leaves the finished closed segment `finished` for the segment that
    /// holds `nextOffset`, not simply the next one listed: compaction may
    /// have replaced `finished` by a segment that also holds the records of
    /// the segments after it, and deleted those, or merged `finished` into a
    /// segment before it. Offsets already passed are
    /// skipped, so segments that overlap while a swap lasts give no
    /// duplicates. False when no segment follows.
    private func moveOn(from finished: Int64, _ head: HeadState) throws(EventLogError) -> Bool {
        try state.catalog.relisting(version: head.catalogVersion) { (bases) throws(EventLogError) -> Bool in
            try checkNotOvertaken(bases)
            var after = finished
            // The segment that holds `nextOffset` may start before `finished`:
            // compaction merged `finished` into a segment listed before it and
            // deleted it. Going on from the segment listed after `finished`
            // would skip the merged records not yet read.
            if let index = SegmentCatalog.segmentIndex(containing: nextOffset, in: bases) {
                segment = nil
                try open(segmentBase: bases[index], head: head)
                try position(at: nextOffset, head: head)
                if position < (try currentLimit(head)) || bases[index] == head.activeBase { return true }
                after = max(after, bases[index])
            }
            guard let next = bases.first(where: { $0 > after }) else { return false }
            segment = nil
            try open(segmentBase: next, head: head)
            position = 0
            return true
        }
    }

    // MARK: Segments

    func open(segmentBase base: Int64, head: HeadState) throws(EventLogError) {
        if let segment, segment.base == base, segmentEnd != nil || base == head.activeBase { return }
        let active = base == head.activeBase && state.head != nil
        let reader = try state.catalog.reader(base: base, active: active)
        segment = reader
        segmentEnd = active ? nil : reader.mappedFileSize
    }

    /// How far the current segment may be read: what the head published for
    /// the active segment, the file size for a closed one.
    func currentLimit(_ head: HeadState) throws(EventLogError) -> Int {
        let reader = segment!
        if reader.base == head.activeBase {
            // Never past the end of the file, whatever a damaged head file
            // says: pages of the mapping beyond it would fault (SIGBUS). The
            // writer allocates ahead of what it publishes, so this stats the
            // file only when the published end passes the size last seen.
            let published = Int(clamping: max(0, head.committedPosition))
            if activeFileSize.base != reader.base { activeFileSize = (reader.base, reader.mappedFileSize) }
            if published > activeFileSize.size { activeFileSize.size = try reader.currentFileSize() }
            return min(published, activeFileSize.size)
        }
        if let segmentEnd { return segmentEnd }
        // The writer rolled away from this segment and trimmed it before
        // publishing the roll, so its file size is now its end.
        segmentEnd = try reader.currentFileSize()
        return segmentEnd!
    }

    func entryCount(_ published: UInt32, _ reader: SegmentReader, _ head: HeadState) -> Int? {
        reader.base == head.activeBase && published != LogState.allEntries ? Int(published) : nil
    }

    func resetBatch() {
        seekedIntoBatch = false
        if let buffer = batchBuffer { retiredBuffers.append(buffer) }
        batchBuffer = nil
        batchNextOffset = 0
        handOut.clearBatch()
    }

    func checkOpen() throws(EventLogError) {
        if state.isClosed { throw EventLogError(.closed, "\(state.directory): the log of this cursor was closed") }
    }
}
