// SPDX-License-Identifier: Apache-2.0
// A position in the log that reads forward: seeks by offset or time, then
// reads batch after batch, checking each batch's CRC, decompressing it into
// a buffer of its own (or, uncompressed, decoding it straight from the
// mapping), and waits on the head file for batches not yet written. The
// first read after a seek by offset may decode only one LZ4 block of a batch
// already checked in full (PointRead.swift).
//
// Three files: this one seeks, reads and moves between segments;
// LogCursorBatches.swift loads and checks one batch; RecordHandOut.swift
// hands its records out. Borrowed results: the records of one `read` call
// point into buffers and mappings that the cursor keeps until its next call. Not thread-safe: a
// cursor belongs to one thread at a time.
package import EventLogFormat
import Synchronization

package final class LogCursor {
    let state: LogState
    /// The next offset to be assigned, which for the writer's own process
    /// counts records still waiting in the producer batch.
    private let endOffset: () -> Int64

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

    // What the current call must keep alive.
    var retiredBuffers: [ByteBuffer] = []
    var freeBuffers: [ByteBuffer] = []
    var retiredSegments: [SegmentReader] = []

    let decoder = BatchDecoder()
    /// Decodes the next batches on another thread during a replay.
    var readAhead: ReadAhead?

    /// The records the last `read` returned; `headerStart` indexes `headers`.
    package var records: [RecordView] { handOut.records }
    package var headers: [HeaderView] { handOut.headers }

    /// Ends this cursor's waits early, from any thread.
    package let interruption: CursorInterruption

    package static let oldest = Int64.max - 1
    package static let latest = Int64.max

    package init(state: LogState, endOffset: @escaping () -> Int64, offset: Int64) throws(EventLogError) {
        self.state = state
        self.endOffset = endOffset
        self.nextOffset = 0
        self.interruption = CursorInterruption(state: state)
        try seek(to: offset)
    }

    // MARK: Seeking

    /// Positions the cursor at the first record with an offset >= `offset`
    /// (or `oldest` / `latest`). Uses the sparse index, then walks batch
    /// headers: O(log n) plus one index interval, never a scan of the log.
    package func seek(to offset: Int64) throws(EventLogError) {
        try checkOpen()
        let (head, _) = state.snapshot()
        let bases = try state.catalog.segmentBases(version: head.catalogVersion)
        // The first segment's base, not the published start: retention run by
        // another process deletes segments without the writer republishing.
        let start = bases.first ?? head.nextOffset
        let target: Int64
        let end = max(endOffset(), head.nextOffset)
        switch offset {
        case Self.oldest: target = start
        case Self.latest: target = end
        default: target = offset
        }
        if target < start {
            throw EventLogError(
                .outOfRange, "\(state.directory): offset \(target) is before the log start \(start)")
        }
        resetBatch()
        guard target < head.nextOffset else {
            // At or past the end: wait there for what comes, skipping records
            // appended below `target` but not yet written.
            try positionAtEnd(head)
            nextOffset = min(target, end)
            return
        }
        try relisting(head) { (bases) throws(EventLogError) in
            guard let index = SegmentCatalog.segmentIndex(containing: target, in: bases) else {
                throw EventLogError(
                    .outOfRange, "\(state.directory): offset \(target) is before the first segment")
            }
            try open(segmentBase: bases[index], head: head)
            try position(at: target, head: head)
        }
        nextOffset = target
        seekedIntoBatch = true
    }

    /// Sets `position` to the first batch of the open segment that ends at
    /// or after `target` (the segment's end if there is none).
    private func position(at target: Int64, head: HeadState) throws(EventLogError) {
        let limit = try currentLimit(head)
        let reader = segment!
        let hint = reader.position(
            forOffset: target, entries: entryCount(head.offsetIndexEntries, reader, head), limit: limit)
        position = walk(from: hint, limit: limit, head: head, offsetSought: target) { $0.lastOffset >= target }
    }

    /// Runs `body` with the segment list; if a segment it opens was deleted
    /// since the list was read (compaction, retention), once more with the
    /// directory listed afresh.
    private func relisting<R>(_ head: HeadState, _ body: ([Int64]) throws(EventLogError) -> R) throws(EventLogError)
        -> R
    {
        do {
            return try body(try state.catalog.segmentBases(version: head.catalogVersion))
        } catch  where error.code == .notFound {
            return try body(try state.catalog.segmentBases(version: nil))
        }
    }

    /// Positions the cursor at the first record, in offset order, whose
    /// timestamp is >= `timestamp`, or at the end if there is none.
    package func seek(toTimestamp timestamp: Int64) throws(EventLogError) {
        try checkOpen()
        let (head, _) = state.snapshot()
        resetBatch()
        let bases = try state.catalog.segmentBases(version: head.catalogVersion)
        for base in bases {
            do throws(EventLogError) { try open(segmentBase: base, head: head) } catch {
                // Deleted since listed: compaction moved its records into a
                // segment listed before it, or retention removed them.
                guard error.code == .notFound else { throw error }
                continue
            }
            let reader = segment!
            let limit = try currentLimit(head)
            let isActive = base == head.activeBase
            let maxTimestamp =
                isActive ? head.activeMaxTimestamp : (reader.indexedMaxTimestamp() ?? maxTimestampByWalking(limit))
            guard maxTimestamp >= timestamp else { continue }
            let hint = reader.position(
                forTimestamp: timestamp, entries: entryCount(head.timeIndexEntries, reader, head),
                offsetEntries: entryCount(head.offsetIndexEntries, reader, head), limit: limit)
            position = walk(from: hint, limit: limit, head: head, offsetSought: nil) { $0.maxTimestamp >= timestamp }
            guard position < limit else { continue }
            // The batch holds the record; decode it to learn its offset.
            let header = try loadBatch(limit: limit, head: head)
            nextOffset = header.baseOffset
            for record in handOut.batchRecords where record.timestamp >= timestamp {
                nextOffset = record.offset
                break
            }
            return
        }
        try positionAtEnd(head)
    }

    private func positionAtEnd(_ head: HeadState) throws(EventLogError) {
        nextOffset = head.nextOffset
        let bases = try state.catalog.segmentBases(version: head.catalogVersion)
        guard let last = bases.last else {
            segment = nil
            position = 0
            return
        }
        try open(segmentBase: last, head: head)
        position = try currentLimit(head)
    }

    /// Walks batch headers from `start`, an index hint, to the first batch
    /// that satisfies `found`, without checking CRCs or decompressing. The
    /// index promises a whole batch at the hint that comes before what is
    /// sought; a damaged or stale index breaks the promise, and the walk then
    /// starts from the segment's first batch instead. Returns its position
    /// (or `limit`). At a header it cannot parse it goes on from the next
    /// intact batch (BatchResync), so a seek can get past damage; but if that
    /// batch already satisfies `found` and does not hold `offsetSought`, what
    /// was sought may lie in the damage, and the walk stops there for the
    /// read that follows to report it.
    private func walk(
        from start: Int, limit: Int, head: HeadState, offsetSought: Int64?, until found: (RecordBatchHeader) -> Bool
    ) -> Int {
        let reader = segment!
        let bytes = reader.bytes(limit: limit)
        var at = start
        if at > 0 && (BatchResync.plausibleHeader(bytes, at: at, limit: limit).map(found) ?? true) { at = 0 }
        var trusted = at  // the last position known to start a batch
        // The batch read first must start at or after the offset the batch
        // before it ends at (offsetProblem checks that).
        batchNextOffset = reader.base
        while at < limit {
            if let header = try? RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: bytes[at..<limit])),
                header.totalSize <= limit - at
            {
                if found(header) { return at }
                trusted = at
                batchNextOffset = header.nextOffset
                at += header.totalSize
                continue
            }
            // A length that was itself damaged may have jumped past good
            // batches: look again from the last batch start.
            guard let (next, header) = nextIntactBatch(after: trusted, limit: limit, head: head),
                next > at || trusted == at
            else { return at }
            if found(header) && !(offsetSought.map { header.baseOffset <= $0 } ?? false) { return at }
            at = next
            trusted = next
        }
        return at
    }

    /// The first intact batch of the open segment after `damaged` (its
    /// .index helps find it), or nil.
    func nextIntactBatch(after damaged: Int, limit: Int, head: HeadState) -> (Int, RecordBatchHeader)? {
        let reader = segment!
        let bytes = reader.bytes(limit: limit)
        let indexed = BatchResync.indexedStart(
            after: damaged, directory: state.directory, base: reader.base,
            entries: entryCount(head.offsetIndexEntries, reader, head))
        guard let next = BatchResync.nextBatch(after: damaged, in: bytes, limit: limit, indexedStart: indexed),
            let header = BatchResync.validatedHeader(bytes, at: next, limit: limit)
        else { return nil }
        return (next, header)
    }

    private func maxTimestampByWalking(_ limit: Int) -> Int64 {
        var maxTimestamp: Int64 = -1
        _ = BatchScanner.scan(segment!.bytes(limit: limit), from: 0, limit: limit, checkCRC: false) {
            maxTimestamp = max(maxTimestamp, $0.header.maxTimestamp)
        }
        return maxTimestamp
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

    /// Reads up to `maxCount` records into `records`/`headers`, waiting up to
    /// `timeoutMilliseconds` (0: no wait, < 0: forever) for the first one.
    /// Returns how many it read (0: none arrived in time).
    package func read(maxCount: Int, timeoutMilliseconds: Int) throws(EventLogError) -> Int {
        beginCall()
        try checkOpen()
        let deadline: UInt64? =
            timeoutMilliseconds < 0 ? nil : monotonicNanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        while true {
            handOut.take(maxCount: maxCount, nextOffset: &nextOffset, batchEnd: batchNextOffset)
            let taken = handOut.records.count
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
            if interruption.consume() { return 0 }
            let published = state.waitForPublish(after: sequence, deadline: deadline) {
                interruption.isRequested || state.directoryIsGone
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

    private func beginCall() {
        handOut.beginCall()
        freeBuffers.append(contentsOf: retiredBuffers)
        retiredBuffers.removeAll(keepingCapacity: true)
        retiredSegments.removeAll(keepingCapacity: true)
    }

    /// Decodes the next batch, moving to the next segment when the current
    /// one is finished. False when nothing more is written yet.
    private func loadNextBatch(_ head: HeadState) throws(EventLogError) -> Bool {
        while true {
            if segment == nil {
                let bases = try state.catalog.segmentBases(version: head.catalogVersion)
                guard
                    let index = SegmentCatalog.segmentIndex(containing: nextOffset, in: bases)
                        ?? (bases.isEmpty ? nil : 0)
                else { return false }
                try open(segmentBase: bases[index], head: head)
                position = 0
            }
            let limit: Int
            do throws(EventLogError) {
                limit = try currentLimit(head)
            } catch  where error.code == .notFound {
                // Compaction or retention replaced or deleted this segment
                // after the writer rolled away from it: find `nextOffset`
                // in a fresh listing (a merged segment may start earlier).
                guard try reposition(head) else { return false }
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

    /// Opens the segment of a fresh listing that holds `nextOffset` and
    /// positions there. False when no segment holds it.
    private func reposition(_ head: HeadState) throws(EventLogError) -> Bool {
        if let current = segment { retiredSegments.append(current) }
        segment = nil
        let bases = try state.catalog.segmentBases(version: nil)
        guard let index = SegmentCatalog.segmentIndex(containing: nextOffset, in: bases) ?? (bases.isEmpty ? nil : 0)
        else { return false }
        try open(segmentBase: bases[index], head: head)
        try position(at: nextOffset, head: head)
        return true
    }

    /// Leaves the finished closed segment `finished` for the segment that
    /// holds `nextOffset`, not simply the next one listed: compaction may
    /// have replaced `finished` by a segment that also holds the records of
    /// the segments after it, and deleted those, or merged `finished` into a
    /// segment before it. Offsets already passed are
    /// skipped, so segments that overlap while a swap lasts give no
    /// duplicates. False when no segment follows.
    private func moveOn(from finished: Int64, _ head: HeadState) throws(EventLogError) -> Bool {
        try relisting(head) { (bases) throws(EventLogError) -> Bool in
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

    private func open(segmentBase base: Int64, head: HeadState) throws(EventLogError) {
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
        let end = try reader.currentFileSize()
        segmentEnd = end
        return end
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

    private func checkOpen() throws(EventLogError) {
        if state.isClosed { throw EventLogError(.closed, "\(state.directory): the log of this cursor was closed") }
    }
}

/// A request, from any thread, that a cursor's current or next wait end at
/// once (its `read` then returns 0), e.g. because the reading task was
/// cancelled.
package final class CursorInterruption: Sendable {
    private let requested = Atomic<Bool>(false)
    private let state: LogState

    init(state: LogState) { self.state = state }

    package func interrupt() {
        requested.store(true, ordering: .releasing)
        state.wakeWaiters()
    }

    var isRequested: Bool { requested.load(ordering: .acquiring) }

    func consume() -> Bool { requested.exchange(false, ordering: .acquiringAndReleasing) }
}
