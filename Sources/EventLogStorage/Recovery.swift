// SPDX-License-Identifier: Apache-2.0
// Opening the last segment for writing after a clean close or a crash.
//
// Only the tail is checked, never the whole log: recovery starts at the last
// .index entry whose batch still validates (the index gets an entry every
// 4 KiB written, so that is at most 4 KiB plus one batch before the end of
// the data), walks forward checking every batch's CRC, and cuts the file at
// the first torn, zeroed or damaged batch, as Kafka's LogSegment.recover does.
// Index entries after the starting point are rebuilt by replaying Kafka's
// indexing rule over the batches found.
internal import EventLogFormat
import Glibc

enum Recovery {
    /// The last segment, open for appending, cut after its last sound batch
    /// (a torn or damaged tail goes).
    static func openLastSegment(
        folder: DirectoryHandle, base: Int64, segmentBytes: Int, mode: mode_t, head: HeadState?
    ) throws(EventLogError) -> ActiveSegment {
        let directory = folder.path
        let logPath = SegmentFileName.path(directory: directory, base: base, .log)
        if let kind = SegmentIdentity.nonRegularKind(logPath) {
            throw stranger(logPath, "it is \(kind), not a regular file")
        }
        guard FileSystem.exists(logPath) else {
            return try ActiveSegment(folder: folder, base: base, segmentBytes: segmentBytes, mode: mode)
        }
        let region = try FileHandle.open(logPath, flags: O_RDONLY).mapAll()
        let bytes = region.all
        if let reason = SegmentIdentity.lastSegmentProblem(bytes, base: base) { throw stranger(logPath, reason) }
        let trustedHead = head.flatMap { $0.activeBase == base ? $0 : nil }

        // The believable prefix of the .index: its last entry must point at
        // a batch that validates and ends at the entry's offset. A damaged or
        // stale index just yields fewer entries (down to none: a scan from 0).
        var offsetEntries: [OffsetIndexEntry] = try trustedPrefix(
            .offsetIndex, directory: directory, base: base, published: trustedHead?.offsetIndexEntries
        ) { Int($0.position) < bytes.count }
        while let last = offsetEntries.last, !pointsAtItsBatch(last, bytes, base: base) { offsetEntries.removeLast() }
        var start = ActiveSegment.Resume()
        if let last = offsetEntries.last {
            let timeEntries: [TimeIndexEntry] = try trustedPrefix(
                .timeIndex, directory: directory, base: base, published: trustedHead?.timeIndexEntries
            ) { $0.relativeOffset <= last.relativeOffset && !$0.isPreallocated }
            start.position = Int(last.position)
            start.offsetIndexEntries = offsetEntries.count
            start.timeIndexEntries = timeEntries.count
            if let lastTime = timeEntries.last {
                start.maxTimestamp = lastTime.timestamp
                start.maxTimestampOffset = base + Int64(lastTime.relativeOffset)
            }
        }

        var batches: [ScannedBatch] = []
        let outcome = BatchScanner.scan(bytes, from: start.position, limit: bytes.count) { batches.append($0) }
        let kept = batchesWithSoundOffsets(
            batches, base: base, startsAtIndexEntry: start.position > 0, published: trustedHead)
        let validEnd = kept < batches.count ? batches[kept].position : outcome.validEnd
        batches.removeSubrange(kept...)
        let segment = try ActiveSegment(
            folder: folder, base: base, segmentBytes: segmentBytes, mode: mode, resume: start, validEnd: validEnd)
        for batch in batches { segment.adopt(header: batch.header, at: batch.position) }
        return segment
    }

    private static func stranger(_ path: String, _ reason: String) -> EventLogError {
        EventLogError(
            .corrupt,
            "\(path): not a segment of this log: \(reason); a writable open neither cuts nor appends to it: "
                + "run `eventlog recover` to move it aside")
    }

    /// How many of `batches` keep their place: baseOffset is outside the CRC,
    /// so a batch that validates can still carry a damaged one. Offsets must
    /// not go back, must fit the segment's int32 relative offsets, must end
    /// where the next batch starts or before, and the batch that ends where
    /// the head says the writer's published data ends must end at the
    /// published next offset. When two neighbours disagree nothing tells
    /// which is damaged, so the cut goes before both, except that the batch
    /// at a trusted .index entry has had its offsets checked already (its
    /// last offset against the entry, its offset delta by the CRC).
    private static func batchesWithSoundOffsets(
        _ batches: [ScannedBatch], base: Int64, startsAtIndexEntry: Bool, published: HeadState?
    ) -> Int {
        var lower = base
        for (i, batch) in batches.enumerated() {
            let header = batch.header
            var offsets = BatchOffsets(segmentBase: base, lower: lower)
            if !(i == 0 && startsAtIndexEntry) {
                offsets.nextBatchBase = i + 1 < batches.count ? batches[i + 1].header.baseOffset : nil
                if let published, Int64(batch.position + header.totalSize) == published.committedPosition {
                    offsets.published = published.nextOffset
                }
            }
            if offsets.problem(header) != nil { return i }
            lower = header.nextOffset
        }
        return batches.count
    }

    /// The indexes of the closed segments (all but the last of `bases`) get
    /// the cheap checks of Kafka's index sanity check at open: present, whole
    /// entries, in order, inside the segment, and the first and last .index
    /// entries pointing at intact batches that end at their offsets. Missing
    /// or failing indexes are rebuilt from the segment. Costs a read of each
    /// index file, not of the segments. Best effort: if a rebuild fails, the
    /// open still succeeds and cursors check each index entry they use.
    static func repairClosedSegmentIndexes(directory: String, bases: [Int64], mode: mode_t) {
        // Compaction, which also writes closed segments' indexes, may run
        // beside a writer: while it does, its indexes are left to it.
        guard let lock = try? MaintenanceLock.acquire(directory: directory, wait: false, mode: mode) else { return }
        defer { withExtendedLifetime(lock) {} }
        for (i, base) in bases.dropLast().enumerated() {
            let logPath = SegmentFileName.path(directory: directory, base: base, .log)
            // A stranger that is not a regular file is recover's to move
            // aside; opening a FIFO would wait for a writer forever.
            guard SegmentIdentity.nonRegularKind(logPath) == nil,
                let region = try? FileHandle.open(logPath, flags: O_RDONLY).mapAll(),
                !indexesLookSound(directory: directory, base: base, nextBase: bases[i + 1], bytes: region.all)
            else { continue }
            try? IndexRebuild.write(IndexRebuild.replay(region.all, base: base), directory: directory, mode: mode)
        }
    }

    private static func indexesLookSound(directory: String, base: Int64, nextBase: Int64, bytes: UnsafeRawBufferPointer)
        -> Bool
    {
        let maxRelative = min(nextBase - 1 - base, Int64(Int32.max))
        guard
            let entries: [OffsetIndexEntry] = believableIndex(
                .offsetIndex, directory: directory, base: base,
                accept: { Int64($0.relativeOffset) <= maxRelative && Int($0.position) < bytes.count }),
            let timeEntries: [TimeIndexEntry] = believableIndex(
                .timeIndex, directory: directory, base: base, accept: { Int64($0.relativeOffset) <= maxRelative })
        else { return false }
        for entry in [entries.first, entries.last].compactMap({ $0 }) {
            guard pointsAtItsBatch(entry, bytes, base: base) else { return false }
        }
        return tailMatches(entries, timeEntries, base: base, bytes: bytes)
    }

    /// Every entry of an index file, read with pread, if the file holds
    /// whole entries that each follow the one before and `accept`: a
    /// believable prefix is not enough. Nil otherwise.
    private static func believableIndex<Entry: IndexEntry>(
        _ kind: SegmentFileKind, directory: String, base: Int64, accept: (Entry) -> Bool
    ) -> [Entry]? {
        guard let data = try? FileSystem.readFile(SegmentFileName.path(directory: directory, base: base, kind)),
            data.count % Entry.size == 0
        else { return nil }
        let entries = data.withUnsafeBytes {
            TrustedIndexPrefix($0, count: $0.count / Entry.size, accept: accept).entries
        }
        return entries.count * Entry.size == data.count ? entries : nil
    }

    /// The end of the indexes against the end of the segment, which a cut
    /// or stale index gets wrong: after the last .index entry no batch may
    /// have been due an entry by the 4096-byte rule, the batches there must
    /// end exactly at the end of the file, and the last .timeindex entry must
    /// hold the largest timestamp of those batches and name a batch whose
    /// largest timestamp it is. Walks the headers after the last .index
    /// entry: one index interval when the index is sound.
    private static func tailMatches(
        _ entries: [OffsetIndexEntry], _ timeEntries: [TimeIndexEntry], base: Int64, bytes: UnsafeRawBufferPointer
    ) -> Bool {
        let lastEntry = entries.last.map { Int($0.position) }
        var bytesSinceEntry = 0
        var dueAnEntry = false
        let tail = BatchScanner.scan(bytes, from: lastEntry ?? 0, limit: bytes.count, checkCRC: false) { batch in
            if batch.position != lastEntry && bytesSinceEntry > IndexRule.intervalBytes { dueAnEntry = true }
            bytesSinceEntry = (batch.position == lastEntry ? 0 : bytesSinceEntry) + batch.header.totalSize
        }
        guard tail.validEnd == bytes.count, !dueAnEntry else { return false }
        guard let last = timeEntries.last else { return tail.maxTimestamp < 0 }
        guard last.timestamp >= tail.maxTimestamp else { return false }
        // The batch the last entry names: found from the .index like a seek.
        let target = base + Int64(last.relativeOffset)
        let from = entries.last(where: { base + Int64($0.relativeOffset) < target }).map { Int($0.position) } ?? 0
        var named: RecordBatchHeader?
        _ = BatchScanner.scan(bytes, from: from, limit: bytes.count, checkCRC: false) { batch in
            if named == nil && batch.header.lastOffset >= target { named = batch.header }
        }
        return named.map { $0.lastOffset == target && $0.maxTimestamp == last.timestamp } ?? false
    }

    /// Whether an intact batch (structure and CRC) starts where `entry`
    /// says, with the last offset it names.
    private static func pointsAtItsBatch(_ entry: OffsetIndexEntry, _ bytes: UnsafeRawBufferPointer, base: Int64)
        -> Bool
    {
        BatchResync.validatedHeader(bytes, at: Int(entry.position), limit: bytes.count)?.lastOffset
            == base + Int64(entry.relativeOffset)
    }

    /// The entries of an index file, as many as the head published (all
    /// without a head), while each follows the one before it and `accept`s.
    private static func trustedPrefix<Entry: IndexEntry>(
        _ kind: SegmentFileKind, directory: String, base: Int64, published: UInt32?, accept: (Entry) -> Bool
    ) throws(EventLogError) -> [Entry] {
        let path = SegmentFileName.path(directory: directory, base: base, kind)
        guard let index = try IndexFile.openForReading(path, entrySize: Entry.size, count: nil) else { return [] }
        let count = min(index.count, published.map { Int($0) } ?? index.count)
        return withExtendedLifetime(index) {
            TrustedIndexPrefix(index.entryBytes, count: count, accept: accept).entries
        }
    }
}
