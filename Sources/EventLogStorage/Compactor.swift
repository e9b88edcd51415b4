// SPDX-License-Identifier: Apache-2.0
// Compactor: Kafka's log cleaner for a log directory (Docs/FORMAT.md §12,
// Docs/FORMAT.md §12). In the closed segments it keeps only the latest
// record of each key, keeps tombstones until their delete horizon passes and
// records without a key always (Kafka drops those; we never lose data a
// producer could write), and merges runs of small segments. Offsets never
// change: kept batches keep their base and last offsets, kept records their
// offsets, and a batch that loses every record stays as an empty batch when
// it is the last of its merged segment, so the segment still ends where it
// did. A batch that loses nothing and needs no delete horizon is copied byte
// for byte, and a segment that would come out unchanged is not rewritten.
//
// It runs beside a writer and its readers: only segments closed when it
// starts are rewritten, each merged segment is swapped in by SegmentSwap, and
// one maintenance lock keeps other compactions and retention out.
internal import EventLogFormat
import Glibc

package enum Compactor {
    package struct Options: Sendable {
        /// Kafka's delete.retention.ms default: 24 hours.
        package static let defaultDeleteRetentionMilliseconds: Int64 = 86_400_000

        /// How long a tombstone survives after the pass that first cleaned it.
        package var deleteRetentionMilliseconds = defaultDeleteRetentionMilliseconds
        /// Threads of the key-mapping pass (CompactionKeyMapping).
        package var workers = onlineCores()
        /// Merged segments stay at or below this many bytes; nil = the size of
        /// the largest segment file in the log (which a writer rolled at its
        /// segment size), so compaction keeps the log's own segment size.
        package var maxSegmentBytes: Int? = nil
        /// Report what would be kept and removed, change nothing.
        package var dryRun = false
        /// Wait for another compaction or retention to finish instead of failing with `busy`.
        package var waitForLock = false
        /// The time (ms since the epoch) that sets and expires delete horizons; nil = the wall clock.
        package var now: Int64? = nil

        package init() {}
    }

    package struct Stats: Equatable, Sendable {
        /// The closed segments examined, and the segments they became.
        package var segmentsBefore = 0
        package var segmentsAfter = 0
        /// Records and `.log` bytes of the segments examined, before and after.
        package var recordsBefore = 0
        package var recordsAfter = 0
        package var bytesBefore = 0
        package var bytesAfter = 0
        /// Segments written anew (the rest were left as they were).
        package var segmentsRewritten = 0
        /// Tombstones removed because their delete horizon had passed.
        package var tombstonesRemoved = 0
        /// Distinct keys in the closed and active segments.
        package var keys = 0

        package init() {}
    }

    package struct Progress: Sendable {
        package enum Phase: Sendable {
            /// Reading every segment to find each key's last offset.
            case mapping
            /// Rewriting the closed segments.
            case cleaning
        }

        package var phase: Phase
        package var bytesDone: Int
        package var bytesTotal: Int
    }

    /// Compacts the closed segments of the log in `directory`. Safe to run
    /// while a writer appends and readers follow, in any process; fails with
    /// `busy` while another compaction or retention runs (unless told to wait).
    package static func compact(
        directory: String, options: Options = Options(),
        progress: ((Progress) -> Void)? = nil
    ) throws(EventLogError) -> Stats {
        try LogPresence.require(directory: directory)
        guard options.deleteRetentionMilliseconds >= 0 else {
            throw EventLogError(
                .invalidArgument, "delete_retention_ms: \(options.deleteRetentionMilliseconds) is negative")
        }
        // A dry run writes nothing, not even the lock file, so it also works
        // where the directory is read-only.
        let lock =
            options.dryRun ? nil : try MaintenanceLock.acquireOrFail(directory: directory, wait: options.waitForLock)
        defer { withExtendedLifetime(lock) {} }
        let head = HeadFile.openForReader(directory: directory)
        if !options.dryRun {
            let recovered = try SegmentSwap.recover(directory: directory, head: head)
            if let stuck = recovered.stuck.first {
                throw EventLogError(
                    .corrupt,
                    "\(SegmentSwap.path(directory, stuck, .log, SegmentSwap.swapSuffix)): an interrupted compaction "
                        + "left a damaged segment in place; compaction stops until it is repaired")
            }
        }
        let plan = try CompactionPlan.build(
            directory: directory, head: head, syncActive: !options.dryRun, workers: options.workers
        ) {
            progress?(Progress(phase: .mapping, bytesDone: $0, bytesTotal: $1))
        }
        let run = CompactionRun(
            directory: directory, plan: plan, options: options, now: options.now ?? wallClockMilliseconds(),
            head: head, progress: progress)
        try run.cleanAll()
        return run.stats
    }
}

/// One pass over the closed segments, group by group.
private final class CompactionRun {
    let directory: String
    let plan: CompactionPlan
    let options: Compactor.Options
    let now: Int64
    let head: HeadFile?
    let progress: ((Compactor.Progress) -> Void)?
    let mergeLimit: Int
    var stats = Compactor.Stats()
    private let reader = SegmentBatchReader()
    private let builder = CompactedBatchBuilder()
    private let rebuilt = ByteBuffer(capacity: 1 << 20)
    private var kept: [RecordView] = []
    private var bytesDone = 0
    private let bytesTotal: Int

    init(
        directory: String, plan: CompactionPlan, options: Compactor.Options, now: Int64, head: HeadFile?,
        progress: ((Compactor.Progress) -> Void)?
    ) {
        self.directory = directory
        self.plan = plan
        self.options = options
        self.now = now
        self.head = head
        self.progress = progress
        mergeLimit = min(max(options.maxSegmentBytes ?? plan.largestSegment, 1), Int(Int32.max))
        bytesTotal = plan.sizes.values.reduce(0, +)
        stats.segmentsBefore = plan.closed.count
        stats.recordsBefore = plan.recordsBefore
        stats.bytesBefore = bytesTotal
        stats.keys = plan.keys.count
    }

    func cleanAll() throws(EventLogError) {
        let closed = plan.closed
        var i = 0
        while i < closed.count {
            // An empty segment has no batch to carry its place in a merge.
            guard plan.sizes[closed[i]]! > 0 else {
                stats.segmentsAfter += 1
                i += 1
                continue
            }
            let group = MergeGroup(directory: directory, base: closed[i], dryRun: options.dryRun)
            var j = i
            do {
                repeat {
                    try clean(closed[j], into: group)
                    j += 1
                } while j < closed.count && fits(closed[j], group)
                try finish(group)
            } catch {
                group.discard()
                throw error
            }
            i = j
        }
    }

    /// Whether segment `base` can join `group`: it holds batches, the group
    /// stays within the merge limit even if nothing of it goes, and its
    /// offsets stay within int32 of the group's base.
    private func fits(_ base: Int64, _ group: MergeGroup) -> Bool {
        let size = plan.sizes[base]!
        return size > 0 && group.size + size <= mergeLimit
            && plan.nextBase[base]! - 1 - group.base <= Int64(Int32.max)
    }

    private func clean(_ base: Int64, into group: MergeGroup) throws(EventLogError) {
        let path = SegmentFileName.path(directory: directory, base: base, .log)
        let file = try FileHandle.open(path, flags: O_RDONLY)
        let size = plan.sizes[base]!
        let region = try file.map(length: size, writable: false)
        let bytes = region.bytes(0..<size)
        try group.beginSegment(region)
        let (scan, _) = try reader.forEachBatch(bytes, file: path) { (batch) throws(EventLogError) in
            let original = UnsafeRawBufferPointer(
                rebasing: bytes[batch.position..<batch.position + batch.header.totalSize])
            switch decide(batch.header) {
            case .copy:
                try group.copy(original, header: batch.header)
            case .drop:
                try group.drop(header: batch.header)
            case .rebuild(let horizon):
                rebuilt.removeAll()
                do throws(FormatError) {
                    _ = try builder.build(
                        original: batch.header, kept: kept, headers: reader.headers, deleteHorizon: horizon,
                        into: rebuilt)
                } catch {
                    throw EventLogError.corrupt(file: path, at: batch.position, error)
                }
                try group.add(rebuilt)
            }
        }
        // The plan read the same bytes; compaction holds the lock, so only
        // the media could have changed them since.
        if let damage = scan.damage { throw EventLogError.corrupt(file: path, at: 0, damage) }
        bytesDone += size
        progress?(Compactor.Progress(phase: .cleaning, bytesDone: bytesDone, bytesTotal: bytesTotal))
    }

    private enum Decision {
        case copy
        case drop
        case rebuild(deleteHorizon: Int64?)
    }

    /// Kafka's shouldRetainRecord and filterTo for one batch, whose records
    /// the reader holds; the kept ones go to `kept`.
    private func decide(_ header: RecordBatchHeader) -> Decision {
        guard reader.decoded else { return .copy }
        kept.removeAll(keepingCapacity: true)
        let horizonPassed = header.hasDeleteHorizon && now >= header.baseTimestamp
        var holdsTombstones = false
        for record in reader.records {
            if let key = record.key {
                // A later record with the same key makes this one obsolete.
                if let latest = plan.keys.get(key), record.offset < latest { continue }
                if record.value == nil {
                    if horizonPassed {
                        stats.tombstonesRemoved += 1
                        continue
                    }
                    holdsTombstones = true
                }
            }
            kept.append(record)
        }
        // The first pass that keeps a tombstone starts its delete horizon.
        let startsHorizon = holdsTombstones && !header.hasDeleteHorizon
        if kept.count == reader.records.count && !startsHorizon { return .copy }
        if kept.isEmpty { return .drop }
        if startsHorizon {
            let (horizon, overflow) = now.addingReportingOverflow(options.deleteRetentionMilliseconds)
            return .rebuild(deleteHorizon: overflow ? Int64.max : horizon)
        }
        return .rebuild(deleteHorizon: header.hasDeleteHorizon ? header.baseTimestamp : nil)
    }

    private func finish(_ group: MergeGroup) throws(EventLogError) {
        try group.endGroup()
        stats.segmentsAfter += 1
        guard let output = group.output else {
            // One segment, nothing to change: it stays as it is.
            stats.recordsAfter += group.records
            stats.bytesAfter += group.size
            return
        }
        try output.finish()
        stats.segmentsRewritten += 1
        stats.recordsAfter += output.records
        stats.bytesAfter += output.size
        guard !options.dryRun else { return }
        try SegmentSwap.commit(directory: directory, base: group.base)
        _ = try SegmentSwap.complete(directory: directory, base: group.base, head: head)
    }
}

/// The output of one run of merged segments. While it holds one segment and
/// every batch so far is copied unchanged, nothing is written (the batches
/// are only remembered); the first change or a second segment writes them
/// out, so a segment that compaction leaves as it is costs no writes.
private final class MergeGroup {
    let base: Int64
    let directory: String
    let dryRun: Bool
    private(set) var output: CleanedSegment?
    private var segments = 0
    private var firstRegion: MappedRegion?
    private var deferred: [(range: Range<Int>, header: RecordBatchHeader)] = []
    /// The last batch seen, if it was dropped: it becomes an empty batch if
    /// nothing follows it in the group.
    private var lastDropped: RecordBatchHeader?
    /// Bytes and records so far.
    private(set) var size = 0
    private(set) var records = 0

    init(directory: String, base: Int64, dryRun: Bool) {
        self.directory = directory
        self.base = base
        self.dryRun = dryRun
    }

    func beginSegment(_ region: MappedRegion) throws(EventLogError) {
        segments += 1
        if segments == 1 { firstRegion = region } else { try materialise() }
    }

    func copy(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws(EventLogError) {
        lastDropped = nil
        if output == nil, let region = firstRegion, let start = region.base {
            let from = UnsafeRawPointer(start)
            let at = batch.baseAddress! - from
            deferred.append((at..<at + batch.count, header))
            size += batch.count
            records += Int(header.recordsCount)
            return
        }
        try write(batch, header)
    }

    func drop(header: RecordBatchHeader) throws(EventLogError) {
        try materialise()
        lastDropped = header
    }

    func add(_ rebuilt: ByteBuffer) throws(EventLogError) {
        try materialise()
        lastDropped = nil
        let bytes = UnsafeRawBufferPointer(start: rebuilt.baseAddress, count: rebuilt.count)
        let header: RecordBatchHeader
        do { header = try RecordBatchHeader(parsing: bytes) } catch {
            throw EventLogError(.io, "\(directory): rebuilt batch unreadable: \(error)")
        }
        try write(bytes, header)
    }

    /// Ends the group: an empty batch keeps the last offset if the last
    /// batch went.
    func endGroup() throws(EventLogError) {
        guard let dropped = lastDropped else { return }
        let empty = ByteBuffer(capacity: RecordBatchHeader.size)
        CompactedBatchBuilder.appendEmpty(original: dropped, into: empty)
        let bytes = UnsafeRawBufferPointer(start: empty.baseAddress, count: empty.count)
        try write(bytes, try! RecordBatchHeader(parsing: bytes))
        lastDropped = nil
    }

    func discard() { output?.discard() }

    private func write(_ batch: UnsafeRawBufferPointer, _ header: RecordBatchHeader) throws(EventLogError) {
        try materialise()
        try output!.append(batch, header: header)
        size = output!.size
        records = output!.records
    }

    /// Starts the output and writes the batches remembered so far.
    private func materialise() throws(EventLogError) {
        guard output == nil else { return }
        let mode = Self.fileMode(SegmentFileName.path(directory: directory, base: base, .log))
        let segment = try CleanedSegment(directory: directory, base: base, mode: mode, dryRun: dryRun)
        output = segment
        if let region = firstRegion {
            let bytes = region.bytes(0..<region.length)
            for (range, header) in deferred {
                try segment.append(UnsafeRawBufferPointer(rebasing: bytes[range]), header: header)
            }
        }
        deferred = []
        firstRegion = nil
    }

    /// The permission bits of the segment being replaced, for its successor.
    private static func fileMode(_ path: String) -> mode_t {
        (try? FileSystem.status(of: path)).map { $0.st_mode & 0o777 } ?? 0o644
    }
}
