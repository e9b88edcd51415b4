// SPDX-License-Identifier: Apache-2.0
// Positioning a LogCursor within the segments: by offset through the
// sparse .index, by time through the .timeindex, then a walk over batch
// headers (no CRC, no decompression) to the batch that holds what is
// sought; past damage it resynchronises at the next intact batch. The batch
// found is loaded and checked in full by the read that follows
// (LogCursorBatches.swift).
internal import EventLogFormat

extension LogCursor {
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
        let end = max(endOffset(), head.nextOffset)
        let target =
            switch offset {
            case Self.oldest: start
            case Self.latest: end
            default: offset
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
        nextOffset = try state.catalog.relisting(version: head.catalogVersion) { (bases) throws(EventLogError) in
            // The oldest offset is wherever the log starts now: retention
            // deleting the first segments while this seeks moves it on.
            let sought = offset == Self.oldest ? bases.first ?? target : target
            guard let index = SegmentCatalog.segmentIndex(containing: sought, in: bases) else {
                throw EventLogError(
                    .outOfRange, "\(state.directory): offset \(sought) is before the first segment")
            }
            try open(segmentBase: bases[index], head: head)
            try position(at: sought, head: head)
            return sought
        }
        seekedIntoBatch = true
    }

    /// Sets `position` to the first batch of the open segment that ends at
    /// or after `target` (the segment's end if there is none).
    func position(at target: Int64, head: HeadState) throws(EventLogError) {
        let limit = try currentLimit(head)
        let reader = segment!
        let hint = reader.position(
            forOffset: target, entries: entryCount(head.offsetIndexEntries, reader, head), limit: limit)
        position = walk(from: hint, limit: limit, head: head, offsetSought: target) { $0.lastOffset >= target }
    }

    /// Positions the cursor at the first record, in offset order, whose
    /// timestamp is >= `timestamp`, or at the end if there is none.
    package func seek(toTimestamp timestamp: Int64) throws(EventLogError) {
        try checkOpen()
        let (head, _) = state.snapshot()
        resetBatch()
        let bases = try state.catalog.segmentBases(version: head.catalogVersion)
        for base in bases {
            do throws(EventLogError) { try open(segmentBase: base, head: head) } catch  where error.code == .notFound {
                // Deleted since listed: compaction moved its records into a
                // segment listed before it, or retention removed them.
                continue
            }
            let reader = segment!
            let limit = try currentLimit(head)
            let maxTimestamp = base == head.activeBase ? head.activeMaxTimestamp : reader.maxTimestamp(limit: limit)
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

    func positionAtEnd(_ head: HeadState) throws(EventLogError) {
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
    func walk(
        from start: Int, limit: Int, head: HeadState, offsetSought: Int64?, until found: (RecordBatchHeader) -> Bool
    ) -> Int {
        let reader = segment!
        let bytes = reader.bytes(limit: limit)
        var at = start
        let hinted = BatchResync.validatedHeader(bytes, at: at, limit: limit, checkCRC: false)
        if at > 0 && (hinted.map(found) ?? true) { at = 0 }
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
        let indexed = reader.indexedStart(after: damaged, entries: entryCount(head.offsetIndexEntries, reader, head))
        guard let next = BatchResync.nextBatch(after: damaged, in: bytes, limit: limit, indexedStart: indexed),
            let header = BatchResync.validatedHeader(bytes, at: next, limit: limit)
        else { return nil }
        return (next, header)
    }
}
