// A position in the log that reads forward: seeks by offset or time, then
// reads batch after batch, checking each batch's CRC, decompressing it into
// a buffer of its own (or, uncompressed, decoding it straight from the
// mapping), and waits on the head file for batches not yet written.
//
// Borrowed results: the records of one `read` call point into buffers and
// mappings that the cursor keeps until its next call. Not thread-safe: a
// cursor belongs to one thread at a time.
import EventLogFormat
import Synchronization

public final class LogCursor {
    private let state: LogState
    /// The next offset to be assigned, which for the writer's own process
    /// counts records still waiting in the producer batch.
    private let endOffset: () -> Int64

    // Position.
    private var segment: SegmentReader?
    private var segmentEnd: Int?  // set once the segment is known to be closed
    private var position = 0
    public private(set) var nextOffset: Int64

    // The batch being returned.
    private var batchRecords: [RecordView] = []
    private var batchHeaders: [HeaderView] = []
    private var batchCursor = 0
    private var batchNextOffset: Int64 = 0
    private var batchBuffer: ByteBuffer?

    // What the current call returned, and what it must keep alive.
    public private(set) var records: [RecordView] = []
    public private(set) var headers: [HeaderView] = []
    private var retiredBuffers: [ByteBuffer] = []
    private var freeBuffers: [ByteBuffer] = []
    private var retiredSegments: [SegmentReader] = []

    private let lz4 = KafkaLZ4()

    /// Ends this cursor's waits early, from any thread.
    public let interruption: CursorInterruption

    /// The most a batch may decompress to. Bounds what hostile input can make
    /// us allocate; the writer's batches stay far below it.
    static let maxDecompressedBatch = 1 << 30

    public static let oldest = Int64.max - 1
    public static let latest = Int64.max

    public init(state: LogState, endOffset: @escaping () -> Int64, offset: Int64) throws(EventLogError) {
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
    public func seek(to offset: Int64) throws(EventLogError) {
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
        guard let index = SegmentCatalog.segmentIndex(containing: target, in: bases) else {
            throw EventLogError(
                .outOfRange, "\(state.directory): offset \(target) is before the first segment")
        }
        try open(segmentBase: bases[index], head: head)
        let limit = try currentLimit(head)
        let reader = segment!
        let hint = reader.position(forOffset: target, entries: entryCount(head.offsetIndexEntries, reader, head), limit: limit)
        position = walk(from: hint, limit: limit) { $0.lastOffset >= target }
        if position == hint && hint > 0 {
            // The index entry before `hint` promised a batch ending below the
            // target there: the index is damaged or stale, so start over
            // from the segment's first batch.
            position = walk(from: 0, limit: limit) { $0.lastOffset >= target }
        }
        nextOffset = target
    }

    /// Positions the cursor at the first record, in offset order, whose
    /// timestamp is >= `timestamp`, or at the end if there is none.
    public func seek(toTimestamp timestamp: Int64) throws(EventLogError) {
        try checkOpen()
        let (head, _) = state.snapshot()
        resetBatch()
        let bases = try state.catalog.segmentBases(version: head.catalogVersion)
        for base in bases {
            try open(segmentBase: base, head: head)
            let reader = segment!
            let limit = try currentLimit(head)
            let isActive = base == head.activeBase
            let maxTimestamp = isActive ? head.activeMaxTimestamp : (reader.indexedMaxTimestamp() ?? maxTimestampByWalking(limit))
            guard maxTimestamp >= timestamp else { continue }
            let hint = reader.position(
                forTimestamp: timestamp, entries: entryCount(head.timeIndexEntries, reader, head),
                offsetEntries: entryCount(head.offsetIndexEntries, reader, head), limit: limit)
            position = walk(from: hint, limit: limit) { $0.maxTimestamp >= timestamp }
            guard position < limit else { continue }
            // The batch holds the record; decode it to learn its offset.
            let header = try loadBatch(limit: limit)
            nextOffset = header.baseOffset
            for record in batchRecords where record.timestamp >= timestamp {
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

    /// Walks batch headers from `start` to the first batch that satisfies
    /// `found`, without checking CRCs or decompressing. Returns its position
    /// (or `limit`). A damaged header stops the walk there; the read that
    /// follows reports it.
    private func walk(from start: Int, limit: Int, until found: (RecordBatchHeader) -> Bool) -> Int {
        let bytes = segment!.bytes(limit: limit)
        var at = start
        while at < limit {
            guard let header = try? RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: bytes[at..<limit])),
                header.totalSize <= limit - at
            else { return at }
            if found(header) { return at }
            at += header.totalSize
        }
        return at
    }

    private func maxTimestampByWalking(_ limit: Int) -> Int64 {
        var maxTimestamp: Int64 = -1
        _ = BatchScanner.scan(segment!.bytes(limit: limit), from: 0, limit: limit, checkCRC: false) {
            maxTimestamp = max(maxTimestamp, $0.header.maxTimestamp)
        }
        return maxTimestamp
    }

    // MARK: Reading

    /// Reads up to `maxCount` records into `records`/`headers`, waiting up to
    /// `timeoutMilliseconds` (0: no wait, < 0: forever) for the first one.
    /// Returns how many it read (0: none arrived in time).
    public func read(maxCount: Int, timeoutMilliseconds: Int) throws(EventLogError) -> Int {
        beginCall()
        try checkOpen()
        let deadline: UInt64? =
            timeoutMilliseconds < 0 ? nil : monotonicNanoseconds() + UInt64(timeoutMilliseconds) * 1_000_000
        while true {
            takeFromBatch(maxCount: maxCount)
            if records.count == maxCount { return records.count }
            let (head, sequence) = state.snapshot()
            if try loadNextBatch(head) { continue }
            if !records.isEmpty || timeoutMilliseconds == 0 { return records.count }
            if let deadline, monotonicNanoseconds() >= deadline { return 0 }
            if interruption.consume() { return 0 }
            let published = state.waitForPublish(after: sequence, deadline: deadline) {
                interruption.isRequested
            }
            if !published {
                try checkOpen()
                if let deadline, monotonicNanoseconds() >= deadline { return 0 }
            }
        }
    }

    private func beginCall() {
        records.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
        freeBuffers.append(contentsOf: retiredBuffers)
        retiredBuffers.removeAll(keepingCapacity: true)
        retiredSegments.removeAll(keepingCapacity: true)
    }

    private func takeFromBatch(maxCount: Int) {
        while batchCursor < batchRecords.count && records.count < maxCount {
            var record = batchRecords[batchCursor]
            batchCursor += 1
            guard record.offset >= nextOffset else { continue }
            let start = headers.count
            headers.append(contentsOf: batchHeaders[record.headerStart..<record.headerStart + record.headerCount])
            record.headerStart = start
            records.append(record)
            nextOffset = record.offset + 1
        }
        if batchCursor == batchRecords.count {
            // Compaction can leave offsets after a batch's last record, and
            // empty or control batches hold none: the next offset is past them.
            nextOffset = max(nextOffset, batchNextOffset)
        }
    }

    /// Decodes the next batch, moving to the next segment when the current
    /// one is finished. False when nothing more is written yet.
    private func loadNextBatch(_ head: HeadState) throws(EventLogError) -> Bool {
        while true {
            if segment == nil {
                let bases = try state.catalog.segmentBases(version: head.catalogVersion)
                guard let index = SegmentCatalog.segmentIndex(containing: nextOffset, in: bases) ?? (bases.isEmpty ? nil : 0)
                else { return false }
                try open(segmentBase: bases[index], head: head)
                position = 0
            }
            let limit = try currentLimit(head)
            if position < limit {
                _ = try loadBatch(limit: limit)
                return true
            }
            guard segment!.base != head.activeBase else { return false }
            let bases = try state.catalog.segmentBases(version: head.catalogVersion)
            guard let next = bases.first(where: { $0 > segment!.base }) else { return false }
            if let current = segment { retiredSegments.append(current) }
            try open(segmentBase: next, head: head)
            position = 0
        }
    }

    /// Validates and decodes the batch at `position`, then advances past it.
    @discardableResult
    private func loadBatch(limit: Int) throws(EventLogError) -> RecordBatchHeader {
        let reader = segment!
        let bytes = reader.bytes(limit: limit)
        let window = UnsafeRawBufferPointer(rebasing: bytes[position..<limit])
        let header: RecordBatchHeader
        do throws(FormatError) {
            let peeked = try RecordBatchHeader(parsing: window)
            guard peeked.totalSize <= window.count else {
                throw FormatError(
                    kind: .truncated, position: 8,
                    detail: "batch of \(peeked.totalSize) bytes runs past the end of the data (\(window.count) bytes left)")
            }
            header = try RecordBatch.validate(UnsafeRawBufferPointer(rebasing: window.prefix(peeked.totalSize)))
        } catch {
            throw EventLogError.corrupt(file: reader.logPath, at: position, error)
        }
        let payload = UnsafeRawBufferPointer(
            rebasing: window[RecordBatchHeader.size..<header.totalSize])
        if let buffer = batchBuffer { retiredBuffers.append(buffer) }
        batchBuffer = nil
        batchRecords.removeAll(keepingCapacity: true)
        batchHeaders.removeAll(keepingCapacity: true)
        // Control batches (transaction markers in Kafka logs) carry no data
        // for consumers; Kafka's clients skip them too.
        if header.isControl { return finishBatch(header) }
        do throws(FormatError) {
            switch header.compression {
            case .some(.none):
                retiredSegments.append(reader)
                try RecordDecoder.decode(recordsSection: payload, header: header, into: &batchRecords, headers: &batchHeaders)
            case .some(.lz4):
                let buffer = freeBuffers.popLast() ?? ByteBuffer(capacity: 256 << 10)
                buffer.removeAll()
                batchBuffer = buffer
                let count = try lz4.decompress(payload, into: buffer, limit: Self.maxDecompressedBatch)
                let records = UnsafeRawBufferPointer(start: buffer.baseAddress, count: count)
                try RecordDecoder.decode(recordsSection: records, header: header, into: &batchRecords, headers: &batchHeaders)
            default:
                throw FormatError(
                    kind: .unsupportedCompression, position: 21,
                    detail: "compression codec \(header.attributes & 7) is not supported")
            }
        } catch {
            batchRecords.removeAll()
            throw EventLogError.corrupt(file: reader.logPath, at: position + RecordBatchHeader.size, error)
        }
        return finishBatch(header)
    }

    private func finishBatch(_ header: RecordBatchHeader) -> RecordBatchHeader {
        batchCursor = 0
        batchNextOffset = header.nextOffset
        position += header.totalSize
        return header
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
    private func currentLimit(_ head: HeadState) throws(EventLogError) -> Int {
        let reader = segment!
        if reader.base == head.activeBase { return Int(head.committedPosition) }
        if let segmentEnd { return segmentEnd }
        // The writer rolled away from this segment and trimmed it before
        // publishing the roll, so its file size is now its end.
        let end = try reader.currentFileSize()
        segmentEnd = end
        return end
    }

    private func entryCount(_ published: UInt32, _ reader: SegmentReader, _ head: HeadState) -> Int? {
        reader.base == head.activeBase && published != LogState.allEntries ? Int(published) : nil
    }

    private func resetBatch() {
        if let buffer = batchBuffer { retiredBuffers.append(buffer) }
        batchBuffer = nil
        batchNextOffset = 0
        batchRecords.removeAll(keepingCapacity: true)
        batchHeaders.removeAll(keepingCapacity: true)
        batchCursor = 0
    }

    private func checkOpen() throws(EventLogError) {
        if state.isClosed { throw EventLogError(.closed, "\(state.directory): the log of this cursor was closed") }
    }
}

/// A request, from any thread, that a cursor's current or next wait end at
/// once (its `read` then returns 0), e.g. because the reading task was
/// cancelled.
public final class CursorInterruption: Sendable {
    private let requested = Atomic<Bool>(false)
    private let state: LogState

    init(state: LogState) { self.state = state }

    public func interrupt() {
        requested.store(true, ordering: .releasing)
        state.wakeWaiters()
    }

    var isRequested: Bool { requested.load(ordering: .acquiring) }

    func consume() -> Bool { requested.exchange(false, ordering: .acquiringAndReleasing) }
}
