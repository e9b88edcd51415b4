// SPDX-License-Identifier: Apache-2.0
// The writing half of a log: the producer batch that appends fill, the
// queue of sealed batches, and the code that compresses them, copies them
// into the active segment, rolls segments, publishes to readers and syncs.
//
// Threading. Appends from any thread encode records into the open producer
// batch under `appendLock`, which also guards the queue and the counters.
// Sealing a queued batch (LZ4 compression, the CRC) needs no lock: the
// flusher seals the batch it is about to write, and an appending thread that
// fills a batch while the flusher is still busy seals that one itself, so
// compression runs on two cores. Writing sealed batches into the segment
// (copying, rolling, publishing) happens in order under `writeLock`, by
// whichever thread needs it first: the background flusher (full or lingering
// batches) or a caller of flush/sync. Syncs are group commits
// (GroupCommit.swift): one caller at a time leads a round, which writes every
// record appended so far by any thread as one batch and fdatasyncs outside
// `writeLock`; callers arriving meanwhile sleep until it ends.
internal import EventLogFormat
import Glibc

package final class LogWriter: @unchecked Sendable {
    let state: LogState
    let configuration: LogConfiguration

    // Guarded by appendLock.
    private let appendLock: Lock
    private var current: QueuedBatch
    private var spare: [QueuedBatch] = []
    private var queue: [QueuedBatch] = []
    private var assignedOffset: Int64
    private var enqueuedBatches: UInt64 = 0
    private var writtenBatches: UInt64 = 0
    private var pendingError: EventLogError?
    /// A sync that failed after its batch was written, for the next flush or
    /// sync to report (the flusher thread has nobody to report it to).
    private var unreportedSyncFailure: EventLogError?
    private var stopping = false
    private var nextIntervalSync: UInt64 = 0
    /// The flusher sleeps on a condition of its own, so that the many
    /// broadcasts about written and sealed batches do not wake it; it is
    /// signalled only when it would otherwise sleep too long.
    private let flusherWake: Condition
    private var flusherSleeping = false
    private var flusherWakesAt = UInt64.max

    // Guarded by writeLock.
    private let writeLock = Lock()
    private var segment: ActiveSegment
    private var published: HeadState
    /// Segments rolled away from whose last batches may not be on disk yet,
    /// and whether the directory holds entries not yet synced: the next sync
    /// covers them, so rolling costs no disk flush when nobody asks for one.
    private var unsyncedSegments: [FileHandle] = []
    private var directoryUnsynced = false

    private let groupCommit = GroupCommit()

    private let lock: WriterLock
    private var flusher: pthread_t?

    /// Sealed batches waiting to be written before appends wait for the
    /// writer: bounds the memory a producer faster than the disk can pin.
    private static let maxQueuedBatches = 8

    init(
        state: LogState, configuration: LogConfiguration, lock: WriterLock, segment: ActiveSegment, published: HeadState
    ) {
        self.state = state
        self.configuration = configuration
        self.lock = lock
        self.segment = segment
        self.published = published
        self.assignedOffset = segment.nextOffset
        self.current = QueuedBatch(capacity: configuration.batchMaxBytes + 4096)
        let appendLock = Lock()
        self.appendLock = appendLock
        self.flusherWake = appendLock.makeCondition()
    }

    /// Publishes the state found at open, before any append, and starts the
    /// background flusher.
    func start() throws(EventLogError) {
        writeLock.withLock { publish() }
        flusher = try startThread { [self] in runFlusher() }
    }

    // MARK: Appending

    /// The next offset to be assigned (counts records not yet written).
    package var endOffset: Int64 { appendLock.withLock { assignedOffset } }

    /// Appends `count` records with consecutive offsets and returns the first.
    /// The records are checked before any is taken: all or none.
    package func append(count: Int, _ record: (Int) -> RawRecord) throws(EventLogError) -> Int64 {
        var stampsNow = false
        for i in 0..<count {
            let r = record(i)
            stampsNow = stampsNow || r.takesAppendTime
            if r.timestamp < 0 {
                throw EventLogError(.invalidArgument, "record \(i): negative timestamp \(r.timestamp)")
            }
            if r.payloadBytes > LogConfiguration.maxRecordBytes {
                throw EventLogError(
                    .tooBig,
                    "record \(i): \(r.payloadBytes) bytes exceed the limit of \(LogConfiguration.maxRecordBytes)")
            }
        }
        // Read only when a record takes the time of its append: the clock
        // was 5% of a one-record append.
        let now = stampsNow ? wallClockMilliseconds() : 0
        let (first, toSeal) = try appendLock.withLock { () throws(EventLogError) in
            try encode(count: count, now: now, record)
        }
        // Sealed here, with no lock held, while the flusher writes earlier
        // batches: the appending thread pays for the compression of the
        // batches it filled only when the flusher could not keep up.
        for batch in toSeal { seal(batch) }
        return first
    }

    /// Encodes the records into the open batch (appendLock held) and returns
    /// the first offset and the batches this caller should seal.
    private func encode(count: Int, now: Int64, _ record: (Int) -> RawRecord) throws(EventLogError) -> (
        Int64, [QueuedBatch]
    ) {
        if stopping { throw EventLogError(.closed, "\(state.directory): the log is closed") }
        if let error = pendingError {
            // A batch could not be written (full disk, I/O error): try again
            // now, and refuse new records until it goes through.
            appendLock.unlock()
            let retry = Result { () throws(EventLogError) in try drainQueue() }
            appendLock.lock()
            if case .failure = retry { throw error }
        }
        while queue.count >= Self.maxQueuedBatches && pendingError == nil && !stopping {
            appendLock.wait(untilNanoseconds: nil)
        }
        // The lock was let go above: close may have begun meanwhile, and a
        // record taken now would land in a batch that close never writes.
        if stopping { throw EventLogError(.closed, "\(state.directory): the log is closed") }
        let enqueuedBefore = enqueuedBatches
        let first = assignedOffset
        let batchMaxBytes = configuration.batchMaxBytes
        // Locals in the loop: each access to a stored property of the writer
        // would cost a retain/release or an exclusivity check per record.
        var builder = current.builder
        var offset = first
        for i in 0..<count {
            let r = record(i)
            let timestamp = r.takesAppendTime ? now : r.timestamp
            if builder.recordsCount == 0 { openBatch(builder, at: offset) }
            if !builder.append(
                timestamp: timestamp, key: r.key, value: r.value, headers: r.headers, ifWithin: batchMaxBytes)
            {
                // Full: the record opens the next batch, which takes it whatever its size.
                enqueueCurrent()
                builder = current.builder
                openBatch(builder, at: offset)
                builder.append(timestamp: timestamp, key: r.key, value: r.value, headers: r.headers)
            }
            offset += 1
        }
        assignedOffset = offset
        if builder.encodedBytes >= batchMaxBytes { enqueueCurrent() }
        guard enqueuedBatches != enqueuedBefore else { return (first, []) }
        wakeFlusher(by: 0)
        // More than one batch that nobody seals yet means the writer is
        // behind: this thread seals all but the oldest of them, which the
        // writer takes next, so that both threads compress.
        var claimed: [QueuedBatch] = []
        for batch in queue.lazy.filter(\.isWaiting).dropFirst() {
            batch.sealing = .inProgress
            claimed.append(batch)
        }
        return (first, claimed)
    }

    /// Starts the open batch at `offset` (appendLock held).
    private func openBatch(_ builder: RecordBatchBuilder, at offset: Int64) {
        builder.reset(baseOffset: offset)
        current.openedAt = monotonicNanoseconds()
        wakeFlusher(by: current.openedAt + configuration.lingerNanoseconds)
    }

    /// When the open batch has lingered long enough to be written, nil while
    /// it is empty (appendLock held).
    private var lingerDeadline: UInt64? {
        current.builder.recordsCount > 0 ? current.openedAt + configuration.lingerNanoseconds : nil
    }

    /// Signals the flusher if it sleeps past `deadline` (appendLock held).
    private func wakeFlusher(by deadline: UInt64) {
        if flusherSleeping && deadline < flusherWakesAt { flusherWake.signal() }
    }

    /// Moves the open batch to the write queue (appendLock held).
    private func enqueueCurrent() {
        guard current.builder.recordsCount > 0 else { return }
        queue.append(current)
        enqueuedBatches += 1
        current = spare.popLast() ?? QueuedBatch(capacity: configuration.batchMaxBytes + 4096)
        appendLock.broadcast()
    }

    // MARK: Writing

    /// Writes every queued batch, in order. Any thread may call it; one
    /// writes at a time.
    private func drainQueue() throws(EventLogError) {
        writeLock.lock()
        defer { writeLock.unlock() }
        while let batch = nextSealedBatch() {
            let syncFailure: EventLogError?
            do { syncFailure = try write(batch) } catch {
                appendLock.withLock {
                    pendingError = error
                    appendLock.broadcast()
                }
                throw error
            }
            appendLock.withLock {
                queue.removeFirst()
                writtenBatches += 1
                pendingError = nil
                if let syncFailure { unreportedSyncFailure = syncFailure }
                // Batches that grew for a huge record are not kept around.
                if batch.builder.encodedBytes <= 2 * configuration.batchMaxBytes {
                    batch.reset()
                    spare.append(batch)
                }
                appendLock.broadcast()
            }
        }
    }

    /// The first queued batch once it is sealed, sealing it here if nobody
    /// has (writeLock held); nil when the queue is empty. While an appending
    /// thread still seals the first batch, this thread seals a later one.
    private func nextSealedBatch() -> QueuedBatch? {
        while true {
            let (first, toSeal) = appendLock.withLock { () -> (QueuedBatch?, QueuedBatch?) in
                while let first = queue.first {
                    if first.isWaiting {
                        first.sealing = .inProgress
                        return (first, first)
                    }
                    guard first.isInProgress else { return (first, nil) }
                    if let later = queue.first(where: { $0.isWaiting }) {
                        later.sealing = .inProgress
                        return (first, later)
                    }
                    appendLock.wait(untilNanoseconds: nil)
                }
                return (nil, nil)
            }
            guard let first else { return nil }
            guard let toSeal else { return first }
            seal(toSeal)
            if toSeal === first { return first }
        }
    }

    /// Seals a batch this thread claimed (no lock held) and records the
    /// outcome for the threads waiting on it.
    private func seal(_ batch: QueuedBatch) {
        let outcome = batch.seal(compression: configuration.compression)
        appendLock.withLock {
            batch.sealing = outcome
            appendLock.broadcast()
        }
    }

    /// Appends one sealed batch to the active segment (writeLock held).
    /// Returns the error of a sync that failed after the batch was written:
    /// the batch is then in the segment and published, and must not be
    /// written again (that would repeat its offsets).
    private func write(_ batch: QueuedBatch) throws(EventLogError) -> EventLogError? {
        let size =
            switch appendLock.withLock({ batch.sealing }) {
            case .done(let sealedSize): sealedSize
            case .failed(let error):
                throw EventLogError(
                    .io, "\(state.directory): cannot encode batch at offset \(batch.builder.baseOffset): \(error)")
            case .waiting, .inProgress: preconditionFailure("a batch is written only once sealed")
            }
        let bytes = UnsafeRawBufferPointer(start: batch.output.baseAddress, count: size)
        let header: RecordBatchHeader
        do { header = try RecordBatchHeader(parsing: bytes) } catch {
            throw EventLogError(.io, "\(state.directory): sealed batch unreadable: \(error)")
        }
        if segment.needsRoll(batchSize: size, lastOffset: header.lastOffset) { try roll(to: header.baseOffset) }
        try segment.append(batch: bytes, header: header)
        if case .batch = configuration.syncMode {
            do throws(EventLogError) {
                try syncRolledSegments()
                try segment.sync()
            } catch {
                publish()
                return error
            }
            groupCommit.markSynced(upTo: segment.nextOffset)
        }
        publish()
        return nil
    }

    /// Finishes the active segment and starts a new one at `base`.
    private func roll(to base: Int64) throws(EventLogError) {
        try segment.finish(sync: false)
        unsyncedSegments.append(segment.log)
        // Bounded: the oldest is synced now (by then the kernel has usually
        // written it back, so this is cheap) rather than holding descriptors
        // for a log nobody ever syncs.
        if unsyncedSegments.count > 4 { try unsyncedSegments.removeFirst().syncData() }
        let existed = (try? state.folder.status(of: SegmentFileName.name(base: base, .log))) != nil
        do {
            segment = try ActiveSegment(
                folder: state.folder, base: base, segmentBytes: configuration.segmentBytes,
                mode: configuration.fileMode)
        } catch {
            // A segment this roll created but could not finish setting up (a
            // full disk while preallocating an index) holds no data; left in
            // place, it would make every retry fail on O_EXCL.
            if !existed {
                for kind in [SegmentFileKind.offsetIndex, .timeIndex, .log] {
                    try? state.folder.remove(SegmentFileName.name(base: base, kind))
                }
            }
            throw error
        }
        // The new file's directory entry must survive a power loss as much as
        // the batches that a later sync makes durable inside it.
        directoryUnsynced = true
        published.catalogVersion &+= 1
        // Retention deletes whole segments, so a roll is when there may be one
        // more to delete; it never stops appends (errors are left for the
        // next roll or `eventlog retention`). Retention works by path, so
        // not once the path names another directory than the writer's.
        if (try? state.folder.file.isStillAtPath()) == true {
            _ = Retention.applyAfterRoll(directory: state.directory, configuration: configuration, activeBase: base)
        }
    }

    /// Tells readers what is now written (writeLock held).
    private func publish() {
        published.activeBase = segment.base
        published.committedPosition = Int64(segment.position)
        published.nextOffset = segment.nextOffset
        published.offsetIndexEntries = UInt32(segment.offsetIndex.count)
        published.timeIndexEntries = UInt32(segment.timeIndex.count)
        published.activeMaxTimestamp = segment.maxTimestamp
        state.head?.publish(published)
    }

    // MARK: Flush and sync

    /// Writes the open batch and everything queued; returns when all records
    /// appended before the call are visible to cursors.
    package func flush() throws(EventLogError) {
        let target: UInt64 = try appendLock.withLock { () throws(EventLogError) -> UInt64 in
            if stopping { throw EventLogError(.closed, "\(state.directory): the log is closed") }
            enqueueCurrent()
            return enqueuedBatches
        }
        try drainQueue()
        try appendLock.withLock { () throws(EventLogError) in
            while writtenBatches < target {
                if let error = pendingError { throw error }
                appendLock.wait(untilNanoseconds: nil)
            }
            if let failure = unreportedSyncFailure.take() { throw failure }
        }
    }

    /// Flushes, then makes every record appended before the call durable.
    /// Concurrent callers share one batch and one fdatasync.
    package func sync() throws(EventLogError) {
        let target = try appendLock.withLock { () throws(EventLogError) -> Int64 in
            if stopping { throw EventLogError(.closed, "\(state.directory): the log is closed") }
            return assignedOffset
        }
        try groupCommit.waitUntilSynced(target) { () throws(EventLogError) in try syncEverythingAppended() }
    }

    /// One round of group commit: writes every record appended so far, then
    /// fdatasyncs; returns the offset below which all is on disk.
    private func syncEverythingAppended() throws(EventLogError) -> Int64 {
        try flush()
        // Taken under writeLock, synced outside it: the flusher's writes go
        // on meanwhile.
        writeLock.lock()
        let active = segment
        let covered = segment.nextOffset
        let rolled = unsyncedSegments
        let directory = directoryUnsynced
        unsyncedSegments.removeAll()
        directoryUnsynced = false
        writeLock.unlock()
        do {
            for file in rolled { try file.syncData() }
            if directory { try state.folder.sync() }
        } catch {
            // Left for the next sync to try again.
            writeLock.withLock {
                unsyncedSegments.insert(contentsOf: rolled, at: 0)
                directoryUnsynced = directoryUnsynced || directory
            }
            throw error
        }
        try active.sync()
        return covered
    }

    /// Syncs segments rolled away from and the directory (writeLock held).
    private func syncRolledSegments() throws(EventLogError) {
        while let first = unsyncedSegments.first {
            try first.syncData()
            unsyncedSegments.removeFirst()
        }
        if directoryUnsynced {
            try state.folder.sync()
            directoryUnsynced = false
        }
    }

    // MARK: Background flusher

    /// Writes batches that are full or have lingered long enough, and syncs
    /// on the interval of SyncMode.interval.
    private func runFlusher() {
        let interval: UInt64? = if case .interval(let ns) = configuration.syncMode { ns } else { nil }
        appendLock.lock()
        if let interval { nextIntervalSync = monotonicNanoseconds() + interval }
        while true {
            let now = monotonicNanoseconds()
            if let due = lingerDeadline, now >= due { enqueueCurrent() }
            let syncDue = interval != nil && now >= nextIntervalSync
            if stopping { break }
            if (!queue.isEmpty && pendingError == nil) || syncDue {
                if let interval, syncDue { nextIntervalSync = now + interval }
                appendLock.unlock()
                try? drainQueue()
                if syncDue { try? sync() }
                appendLock.lock()
                continue
            }
            let deadlines = [lingerDeadline, interval.map { _ in nextIntervalSync }].compactMap { $0 }
            flusherSleeping = true
            flusherWakesAt = deadlines.min() ?? .max
            flusherWake.wait(untilNanoseconds: deadlines.min())
            flusherSleeping = false
        }
        appendLock.unlock()
    }

    // MARK: Close

    /// Writes what is waiting, syncs unless the sync mode is none, trims the
    /// active segment's files and releases the writer lock.
    ///
    /// `stopping` is set first, under `appendLock`, and only then is the
    /// open batch queued and everything queued written: an append holds
    /// `appendLock` while it encodes, so it either ran before (its records
    /// are in a batch this close writes) or runs after and fails with
    /// `closed`. Flushing first and stopping afterwards left a window in
    /// which an append could succeed into a batch nobody would write, and
    /// its offsets were handed out again after the next open.
    func close() throws(EventLogError) {
        var firstError: EventLogError?
        let target = appendLock.withLock { () -> UInt64 in
            stopping = true
            enqueueCurrent()
            appendLock.broadcast()
            flusherWake.signal()
            return enqueuedBatches
        }
        if let flusher { pthread_join(flusher, nil) }
        flusher = nil
        do throws(EventLogError) {
            try drainQueue()
            try appendLock.withLock { () throws(EventLogError) in
                if writtenBatches < target, let error = pendingError { throw error }
                if let failure = unreportedSyncFailure.take() { throw failure }
            }
        } catch { firstError = error }
        writeLock.withLock {
            let syncOnClose = if case .none = configuration.syncMode { false } else { true }
            do throws(EventLogError) {
                try segment.finish(sync: syncOnClose)
                if syncOnClose { try syncRolledSegments() }
            } catch { firstError = firstError ?? error }
            publish()
        }
        lock.release()
        if let firstError { throw firstError }
    }
}
