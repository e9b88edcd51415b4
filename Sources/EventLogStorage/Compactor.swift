// SPDX-License-Identifier: Apache-2.0
// Compactor: Kafka's log cleaner for a log directory (Docs/FORMAT.md §12).
// In the closed segments it keeps only the latest record of each key, keeps
// tombstones until their delete horizon passes and records without a key
// always (Kafka drops those; we never lose data a producer could write), and
// merges runs of small segments. Offsets never change: kept batches keep
// their base and last offsets, kept records their offsets, and a batch that
// loses every record stays as an empty batch when it is the last of its
// merged segment, so the segment still ends where it did. A batch that loses
// nothing and needs no delete horizon is copied byte for byte, and a segment
// that would come out unchanged is not rewritten.
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
        /// Threads that decode and clean the pieces of a pass (CompactionPass).
        package var workers = onlineCores()
        /// Input bytes of one piece of the rewrite; tests make it small to
        /// split small segments.
        package var rewritePieceBytes = CompactionPass.defaultPieceBytes
        /// Merged segments stay at or below this many bytes; nil = the size of
        /// the largest segment file in the log (which a writer rolled at its
        /// segment size), so compaction keeps the log's own segment size.
        package var maxSegmentBytes: Int? = nil
        /// Memory the key set may use; nil = as much as the distinct keys
        /// need. When the keys do not fit, compaction runs in passes, each
        /// over one share of the keys (by hash), doubling the shares until
        /// one fits: the result is the same, the closed segments are read
        /// and rewritten once per pass.
        package var memoryBudget: Int? = nil
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
        /// Passes over the closed segments: 1 unless the keys did not fit
        /// the memory budget.
        package var passes = 0

        package init() {}
    }

    package struct Progress: Sendable {
        package enum Phase: Sendable {
            /// Reading the active segment's keys, which make older records obsolete.
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
        let now = options.now ?? wallClockMilliseconds()
        var total = Stats()
        var shares = 1
        var share = 0
        while share < shares {
            let keys = KeySet(partition: share, of: shares, limitBytes: options.memoryBudget ?? Int.max)
            let plan = try CompactionPlan.build(directory: directory, head: head, syncActive: !options.dryRun)
            var run = CompactionRun(
                directory: directory, plan: plan, keys: keys, options: options, now: now, head: head,
                progress: progress)
            guard try run.cleanAll() else {
                // Shares 2s and 2s + 1 of twice as many make up share s
                // (KeySet.share), and the shares before it are done.
                // The merged segments this pass swapped in are compacted for
                // share s; the next pass finds them as they are now.
                guard shares < maxShares else {
                    throw EventLogError(
                        .invalidArgument,
                        "memory budget: \(options.memoryBudget!) bytes cannot hold 1/\(maxShares) of the log's keys; "
                            + "allow more memory")
                }
                if !options.dryRun { total.add(stoppedPass: run.stats) }
                shares *= 2
                share *= 2
                continue
            }
            total.add(pass: run.stats, dryRun: options.dryRun)
            share += 1
        }
        return total
    }

    /// More shares than this means the budget cannot hold the keys of a
    /// segment or so: an error, not a compaction that never ends.
    static let maxShares = 1 << 12
}

extension Compactor.Stats {
    /// Adds a pass over one share of the keys. The first pass is taken
    /// whole, with what passes stopped before it had removed; each pass
    /// removes only records of its own share, so the removals add up (a
    /// dry run changes nothing, so its passes each see the log as it was).
    mutating func add(pass: Compactor.Stats, dryRun: Bool) {
        guard passes > 0 else {
            let stopped = self
            self = pass
            passes = 1
            segmentsBefore += stopped.segmentsBefore
            recordsBefore += stopped.recordsBefore
            bytesBefore += stopped.bytesBefore
            segmentsRewritten += stopped.segmentsRewritten
            tombstonesRemoved += stopped.tombstonesRemoved
            return
        }
        passes += 1
        keys += pass.keys
        segmentsRewritten += pass.segmentsRewritten
        tombstonesRemoved += pass.tombstonesRemoved
        if dryRun {
            recordsAfter -= pass.recordsBefore - pass.recordsAfter
            bytesAfter -= pass.bytesBefore - pass.bytesAfter
        } else {
            recordsAfter = pass.recordsAfter
            bytesAfter = pass.bytesAfter
            segmentsAfter = pass.segmentsAfter
        }
    }

    /// Adds the merged segments a pass swapped in before the key set
    /// filled. Before the first complete pass, what they replaced counts as
    /// "before" (that pass sees the log without it).
    mutating func add(stoppedPass pass: Compactor.Stats) {
        if passes == 0 {
            segmentsBefore += pass.segmentsBefore - pass.segmentsAfter
            recordsBefore += pass.recordsBefore - pass.recordsAfter
            bytesBefore += pass.bytesBefore - pass.bytesAfter
        }
        segmentsRewritten += pass.segmentsRewritten
        tombstonesRemoved += pass.tombstonesRemoved
    }
}

/// One pass over the closed segments, newest first (CompactionPass): the
/// calling thread gathers the cleaned pieces into groups of merged
/// segments, which it writes in log order and swaps in, newest group first.
private struct CompactionRun {
    let directory: String
    let plan: CompactionPlan
    let keys: KeySet
    let options: Compactor.Options
    let now: Int64
    let head: HeadFile?
    let progress: ((Compactor.Progress) -> Void)?
    /// Of the merged segments swapped in so far (all of them once the pass is through).
    var stats = Compactor.Stats()

    var mergeLimit: Int { min(max(options.maxSegmentBytes ?? plan.largestSegment, 1), Int(Int32.max)) }

    /// Runs the pass; false if the key set filled before it was through.
    mutating func cleanAll() throws(EventLogError) -> Bool {
        let (now, retention) = (now, options.deleteRetentionMilliseconds)
        let active = plan.active.flatMap { $0.size > 0 ? $0 : nil }
        var segments: [CompactionPass.Segment] = active.map { [($0.base, $0.size, true)] } ?? []
        for (base, size, _) in plan.closed.reversed() where size > 0 { segments.append((base, size, false)) }
        let pass = CompactionPass(
            directory: directory, segments: segments, keys: keys, workers: options.workers,
            pieceBytes: options.rewritePieceBytes
        ) { PieceCleaner(now: now, deleteRetention: retention, spares: $0) }
        defer { pass.stop() }
        // The active segment's keys first: they make older records obsolete.
        if active != nil {
            guard let pieces = try take(segmentFrom: pass) else { return false }
            for piece in pieces { pass.recycle(piece) }
        }
        progress?(Compactor.Progress(phase: .mapping, bytesDone: active?.size ?? 0, bytesTotal: active?.size ?? 0))
        let bytesTotal = plan.closed.reduce(0) { $0 + $1.size }
        var bytesDone = 0
        var group = PendingGroup()
        for segment in plan.closed.reversed() {
            // An empty segment has no batch to carry its place in a merge.
            guard segment.size > 0 else {
                try flush(&group, pass)
                stats.segmentsBefore += 1
                stats.segmentsAfter += 1
                continue
            }
            if !group.segments.isEmpty && !fits(segment, group) { try flush(&group, pass) }
            guard let pieces = try take(segmentFrom: pass) else { return false }
            group.segments.append((segment, pieces))
            group.outputBytes += pieces.reduce(0) { $0 + $1.outputBytes }
            bytesDone += segment.size
            progress?(Compactor.Progress(phase: .cleaning, bytesDone: bytesDone, bytesTotal: bytesTotal))
        }
        try flush(&group, pass)
        stats.keys = keys.count
        return true
    }

    /// The pieces of the next segment, in log order; nil if the key set
    /// filled. A piece that failed ends the pass.
    private func take(segmentFrom pass: CompactionPass) throws(EventLogError) -> [RewritePiece]? {
        var pieces: [RewritePiece] = []
        repeat {
            let piece = pass.next()
            if let error = piece.error { throw error }
            if piece.overflowed { return nil }
            pieces.append(piece)
        } while !pieces.last!.isFirst
        return pieces.reversed()
    }

    /// Segments of one merge, newest first, with their cleaned pieces.
    private struct PendingGroup {
        var segments: [(segment: CompactionPlan.Segment, pieces: [RewritePiece])] = []
        /// Bytes the pieces keep.
        var outputBytes = 0
    }

    /// Whether `segment` can join `group`, which holds the segments after
    /// it: the group stays within the merge limit even if nothing of it
    /// goes, and its offsets stay within int32 of the segment's base.
    private func fits(_ segment: CompactionPlan.Segment, _ group: PendingGroup) -> Bool {
        group.outputBytes + segment.size <= mergeLimit
            && group.segments[0].segment.nextBase - 1 - segment.base <= Int64(Int32.max)
    }

    /// Writes `group`'s merged segment in log order and swaps it in.
    private mutating func flush(_ group: inout PendingGroup, _ pass: CompactionPass) throws(EventLogError) {
        guard let oldest = group.segments.last else { return }
        let merge = MergeGroup(directory: directory, base: oldest.segment.base, dryRun: options.dryRun)
        do {
            for (segment, pieces) in group.segments.reversed() {
                stats.segmentsBefore += 1
                stats.bytesBefore += segment.size
                for piece in pieces {
                    try apply(piece, to: merge)
                    pass.recycle(piece)
                }
            }
            try finish(merge)
        } catch {
            merge.discard()
            throw error
        }
        group = PendingGroup()
    }

    /// Applies the cleaned steps of `piece` to `group`.
    private mutating func apply(_ piece: RewritePiece, to group: MergeGroup) throws(EventLogError) {
        let segment = piece.segment
        if piece.isFirst { try group.beginSegment(segment.region!) }
        let bytes = segment.bytes
        for step in piece.steps {
            switch step {
            case .copy(let position, let header):
                try group.copy(
                    UnsafeRawBufferPointer(rebasing: bytes[position..<position + header.totalSize]), header: header)
            case .drop(let header):
                try group.drop(header: header)
            case .rebuilt(let range):
                try group.add(
                    UnsafeRawBufferPointer(start: piece.rebuilt!.baseAddress + range.lowerBound, count: range.count))
            }
        }
        stats.recordsBefore += piece.recordCount
        stats.tombstonesRemoved += piece.tombstonesRemoved
    }

    private mutating func finish(_ group: MergeGroup) throws(EventLogError) {
        try group.endGroup()
        stats.segmentsAfter += 1
        stats.recordsAfter += group.records
        stats.bytesAfter += group.size
        // One segment, nothing to change: it stays as it is.
        guard let output = group.output else { return }
        try output.finish()
        stats.segmentsRewritten += 1
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
    var size: Int { output?.size ?? deferred.reduce(0) { $0 + $1.range.count } }
    var records: Int { output?.records ?? deferred.reduce(0) { $0 + Int($1.header.recordsCount) } }

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
            let at = batch.baseAddress! - UnsafeRawPointer(start)
            deferred.append((at..<at + batch.count, header))
            return
        }
        try write(batch, header)
    }

    func drop(header: RecordBatchHeader) throws(EventLogError) {
        try materialise()
        lastDropped = header
    }

    func add(_ bytes: UnsafeRawBufferPointer) throws(EventLogError) {
        try materialise()
        lastDropped = nil
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
