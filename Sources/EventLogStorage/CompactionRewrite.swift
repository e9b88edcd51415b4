// SPDX-License-Identifier: Apache-2.0
// The rewrite of a compaction on every core. Cleaning a batch (check its
// CRC, decode its records, keep the latest of each key, compress the kept
// ones again) depends only on the batch, the key map and the time, so
// worker threads clean pieces of the closed segments ahead, each into a
// list of steps (copy these bytes, drop this batch, add these rebuilt
// bytes); the calling thread takes the pieces in log order and applies the
// steps to the merged segments exactly as one thread cleaning in order
// would, so the files are the same for any number of workers.
//
// A piece is a run of whole batches of one segment, cut at about
// `pieceBytes` of input by a walk over the batch headers, so even one large
// segment spreads over every core. Workers run at most `window` pieces ahead
// of the calling thread (which cleans pieces itself while it waits), so the
// rebuilt bytes held at once stay near `window` times `pieceBytes`
// (Docs/DEFAULTS.md). A piece that fails carries its error to its turn:
// pieces before it are applied first, as in order, and no piece after it is
// started.
internal import EventLogFormat
import Glibc

/// A closed segment being rewritten, mapped when its pieces are cut.
final class RewriteSegment {
    /// Its `.log` file, which errors name.
    let path: String
    let base: Int64
    /// Its bytes, as the plan found them.
    let size: Int
    /// nil when the segment could not be opened or mapped: `failure` says why.
    private(set) var region: MappedRegion?
    private(set) var failure: EventLogError?

    init(directory: String, base: Int64, size: Int) {
        self.base = base
        self.size = size
        path = SegmentFileName.path(directory: directory, base: base, .log)
        do throws(EventLogError) {
            let file = try FileHandle.open(path, flags: O_RDONLY)
            region = try file.map(length: size, writable: false)
        } catch {
            failure = error
        }
    }

    var bytes: UnsafeRawBufferPointer { region!.bytes(0..<size) }
}

/// One piece of a segment and, once cleaned, what to do with its batches.
final class RewritePiece {
    enum Step {
        /// The batch at `position` of the segment, unchanged.
        case copy(position: Int, header: RecordBatchHeader)
        /// The batch lost every record.
        case drop(RecordBatchHeader)
        /// The batch rebuilt: these bytes of `rebuilt`.
        case rebuilt(Range<Int>)
    }

    let segment: RewriteSegment
    let range: Range<Int>
    /// The last piece of its segment.
    let isLast: Bool
    var steps: [Step] = []
    var rebuilt: ByteBuffer?
    var tombstonesRemoved = 0
    /// Where cleaning stopped: applied after the steps before it.
    var error: EventLogError?
    /// Guarded by the rewrite's lock; the fields above are the cleaning
    /// thread's until it sets this.
    var cleaned = false

    init(segment: RewriteSegment, range: Range<Int>, isLast: Bool) {
        self.segment = segment
        self.range = range
        self.isLast = isLast
    }
}

/// Cleans pieces: Kafka's shouldRetainRecord and filterTo, batch by batch.
/// One per thread; it reads the key map, which no one writes meanwhile.
final class PieceCleaner {
    private let keys: KeyOffsetMap
    private let now: Int64
    private let deleteRetention: Int64
    private let reader = SegmentBatchReader()
    private let builder = CompactedBatchBuilder()
    @exclusivity(unchecked) private var kept: [RecordView] = []

    init(keys: KeyOffsetMap, now: Int64, deleteRetention: Int64) {
        self.keys = keys
        self.now = now
        self.deleteRetention = deleteRetention
    }

    func clean(_ piece: RewritePiece, into rebuilt: ByteBuffer) {
        piece.rebuilt = rebuilt
        let segment = piece.segment
        guard segment.region != nil else {
            piece.error = segment.failure
            return
        }
        do throws(EventLogError) {
            let (scan, _) = try reader.forEachBatch(
                segment.bytes, from: piece.range.lowerBound, limit: piece.range.upperBound, file: segment.path
            ) { (batch) throws(EventLogError) in
                piece.steps.append(try step(for: batch, of: piece, into: rebuilt))
            }
            // The plan read the same bytes; compaction holds the lock, so
            // only the media could have changed them since.
            if let damage = scan.damage { throw EventLogError.corrupt(file: segment.path, at: 0, damage) }
        } catch {
            piece.error = error
        }
    }

    /// What becomes of one batch, whose records the reader holds: the kept
    /// ones go to `kept`, and a batch rebuilt from them to `rebuilt`.
    private func step(
        for batch: ScannedBatch, of piece: RewritePiece, into rebuilt: ByteBuffer
    ) throws(EventLogError) -> RewritePiece.Step {
        let header = batch.header
        guard reader.decoded else { return .copy(position: batch.position, header: header) }
        kept.removeAll(keepingCapacity: true)
        let horizonPassed = header.hasDeleteHorizon && now >= header.baseTimestamp
        var holdsTombstones = false
        let records = reader.records
        keys.latestOffsets(of: records) { n, latest in
            let record = records[n]
            if record.keyStart != nil {
                // A later record with the same key makes this one obsolete.
                if let latest, record.offset < latest { return }
                if record.valueStart == nil {
                    if horizonPassed {
                        piece.tombstonesRemoved += 1
                        return
                    }
                    holdsTombstones = true
                }
            }
            kept.append(record)
        }
        // The first pass that keeps a tombstone starts its delete horizon.
        let startsHorizon = holdsTombstones && !header.hasDeleteHorizon
        if kept.count == records.count && !startsHorizon { return .copy(position: batch.position, header: header) }
        if kept.isEmpty { return .drop(header) }
        var horizon = header.hasDeleteHorizon ? header.baseTimestamp : nil
        if startsHorizon {
            let (end, overflow) = now.addingReportingOverflow(deleteRetention)
            horizon = overflow ? Int64.max : end
        }
        let start = rebuilt.count
        do throws(FormatError) {
            _ = try builder.build(
                original: header, kept: kept, headers: reader.headers, deleteHorizon: horizon, into: rebuilt)
        } catch {
            throw EventLogError.corrupt(file: piece.segment.path, at: batch.position, error)
        }
        return .rebuilt(start..<rebuilt.count)
    }
}

/// The pieces of one pass, cleaned by `workers` threads (the caller's
/// included) and handed out in order by `next`.
final class CompactionRewrite: @unchecked Sendable {
    /// Input bytes a piece holds, about: large enough that cutting and
    /// handing over cost nothing beside cleaning, small enough that every
    /// core gets work from a single segment.
    static let defaultPieceBytes = 4 << 20

    private let directory: String
    /// The segments to rewrite, in log order, with their sizes.
    private let segments: [(base: Int64, size: Int)]
    private let makeCleaner: () -> PieceCleaner
    private let pieceBytes: Int
    /// Pieces cleaned or being cleaned ahead of the caller, at most.
    let window: Int

    private let lock = Lock()
    // Guarded by `lock`.
    private var pieces: [RewritePiece?] = []
    private var segmentsCut = 0
    private var nextClaim = 0
    private var nextTake = 0
    /// No piece at or after this index is started: one before it failed.
    private var stopAt = Int.max
    private var stopped = false
    private var spareBuffers: [ByteBuffer] = []

    private var threads: [pthread_t] = []
    private let ownCleaner: PieceCleaner

    init(
        directory: String, segments: [(base: Int64, size: Int)], workers: Int, pieceBytes: Int,
        makeCleaner: @escaping () -> PieceCleaner
    ) {
        self.directory = directory
        self.pieceBytes = max(1, pieceBytes)
        self.segments = segments
        self.makeCleaner = makeCleaner
        let count = max(1, workers)
        window = 2 * count
        ownCleaner = makeCleaner()
        for _ in 1..<count {
            guard let thread = try? startThread({ [self] in work() }) else { break }
            threads.append(thread)
        }
    }

    /// Ends the workers; call once, before the pass returns.
    func stop() {
        lock.withLock {
            stopped = true
            lock.broadcast()
        }
        for thread in threads { pthread_join(thread, nil) }
        threads = []
    }

    /// The next piece in log order, cleaned.
    func next() -> RewritePiece {
        lock.lock()
        defer { lock.unlock() }
        let index = nextTake
        while true {
            if index < pieces.count, let piece = pieces[index], piece.cleaned {
                pieces[index] = nil
                nextTake += 1
                lock.broadcast()
                return piece
            }
            // Clean the piece needed now, or help with one ahead.
            if let claimed = claim() {
                cleanUnlocked(claimed, with: ownCleaner)
                continue
            }
            precondition(index < nextClaim, "a piece past the last segment was asked for")
            lock.wait(untilNanoseconds: nil)
        }
    }

    /// Gives back a piece's buffer for reuse once its steps are applied.
    func recycle(_ piece: RewritePiece) {
        guard let buffer = piece.rebuilt else { return }
        piece.rebuilt = nil
        buffer.removeAll()
        lock.withLock { if spareBuffers.count < window { spareBuffers.append(buffer) } }
    }

    private func work() {
        let cleaner = makeCleaner()
        lock.lock()
        defer { lock.unlock() }
        while !stopped {
            if let claimed = claim() {
                cleanUnlocked(claimed, with: cleaner)
            } else if nextClaim >= stopAt || (segmentsCut == segments.count && nextClaim == pieces.count) {
                return
            } else {
                lock.wait(untilNanoseconds: nil)
            }
        }
    }

    /// The index of the next piece to clean, now claimed, cutting the next
    /// segment into pieces if needed; nil if none may start now. Under `lock`.
    private func claim() -> Int? {
        guard !stopped, nextClaim < stopAt, nextClaim < nextTake + window else { return nil }
        while nextClaim == pieces.count {
            guard segmentsCut < segments.count else { return nil }
            cut(segments[segmentsCut])
            segmentsCut += 1
        }
        nextClaim += 1
        return nextClaim - 1
    }

    /// Cleans piece `index` with the lock released, then records it.
    private func cleanUnlocked(_ index: Int, with cleaner: PieceCleaner) {
        let piece = pieces[index]!
        let buffer = spareBuffers.popLast() ?? ByteBuffer(capacity: 64 << 10)
        lock.unlock()
        cleaner.clean(piece, into: buffer)
        lock.lock()
        // Set under the lock, which hands the piece's fields to the thread that applies them.
        piece.cleaned = true
        if piece.error != nil { stopAt = min(stopAt, index + 1) }
        lock.broadcast()
    }

    /// Appends the pieces of `segment`: runs of whole batches of about
    /// `pieceBytes`, found by their headers alone (the cleaning checks each
    /// CRC). Where the headers stop making sense the last piece runs to the
    /// end, and its cleaning reports the damage as a walk from the start would.
    private func cut(_ segment: (base: Int64, size: Int)) {
        let opened = RewriteSegment(directory: directory, base: segment.base, size: segment.size)
        var cuts = [0]
        if opened.region != nil {
            _ = BatchScanner.scan(opened.bytes, from: 0, limit: segment.size, checkCRC: false) { batch in
                let end = batch.position + batch.header.totalSize
                if end - cuts.last! >= pieceBytes && end < segment.size { cuts.append(end) }
            }
        }
        cuts.append(segment.size)
        for i in 1..<cuts.count {
            pieces.append(RewritePiece(segment: opened, range: cuts[i - 1]..<cuts[i], isLast: i == cuts.count - 1))
        }
    }
}
