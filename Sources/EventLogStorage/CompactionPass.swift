// SPDX-License-Identifier: Apache-2.0
// One pass of a compaction, reading every batch once: the pieces of the
// segments, from the newest back to the oldest, each decoded, decided and
// cleaned (PieceCleaner), then handed to the calling thread in that order.
// Going backwards, a record is the latest of its key exactly when its key
// has not been met yet, so one walk both finds each key's latest record and
// filters the batches; Kafka's cleaner, going forwards, reads everything
// twice (once to map each key to its last offset, once to filter).
//
// Deciding is the one stage that must run in order, one piece at a time;
// decoding (CRC, LZ4, records) and cleaning (filtering, LZ4, CRC) depend
// only on their piece, so `workers` threads (the caller's included) run
// them for the pieces ahead. Any free thread takes the next piece to decide
// first, then a decided piece to clean, then the next piece to decode, at
// most `window` pieces ahead of the caller, so the decoded records held at
// once stay near `window` pieces' worth (Docs/DEFAULTS.md). The decisions
// are the same whatever thread makes them, so the files are the same for
// any number of workers. A piece that fails, or fills the key set, ends the
// pass at its turn: no piece after it is started.
internal import EventLogFormat
import Glibc

final class CompactionPass: @unchecked Sendable {
    /// Input bytes a piece holds, about: large enough that cutting and
    /// handing over cost nothing beside the work, small enough that every
    /// core gets work from a single segment.
    static let defaultPieceBytes = 4 << 20

    private let keys: KeySet
    private let directory: String
    /// The segments, newest first, and whether each one's keys are only
    /// claimed (the active segment).
    private let segments: [Segment]
    private let pieceBytes: Int
    private let makeCleaner: (PieceSpares) -> PieceCleaner
    private let spares = PieceSpares()
    /// Pieces decoded or being worked on ahead of the caller, at most.
    private let window: Int

    private let lock = Lock()
    // Guarded by `lock`.
    /// Pieces cut so far; nil once handed to the caller, so that a segment
    /// is unmapped when the caller is done with its pieces.
    private var pieces: [RewritePiece?] = []
    private var segmentsCut = 0
    private var nextDecode = 0
    private var nextDecide = 0
    private var nextTake = 0
    /// No piece at or after this index is started: one before it failed.
    private var stopAt = Int.max
    private var stopped = false

    private var threads: [pthread_t] = []
    private let ownCleaner: PieceCleaner

    typealias Segment = (base: Int64, size: Int, claimsOnly: Bool)

    /// `segments`: newest first, none of them empty.
    init(
        directory: String, segments: [Segment], keys: KeySet, workers: Int, pieceBytes: Int,
        makeCleaner: @escaping (PieceSpares) -> PieceCleaner
    ) {
        self.directory = directory
        self.segments = segments
        self.pieceBytes = max(1, pieceBytes)
        self.keys = keys
        self.makeCleaner = makeCleaner
        let count = max(1, workers)
        window = 2 * count
        ownCleaner = makeCleaner(spares)
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

    /// The next piece, newest first, cleaned (or failed, or overflowed).
    func next() -> RewritePiece {
        lock.lock()
        defer { lock.unlock() }
        let index = nextTake
        precondition(index < stopAt, "a piece past a failed one was asked for")
        while index >= pieces.count || pieces[index]!.stage != .cleaned {
            if !runTask(with: ownCleaner) { lock.wait(untilNanoseconds: nil) }
        }
        let piece = pieces[index]!
        pieces[index] = nil
        nextTake += 1
        lock.broadcast()
        return piece
    }

    /// Gives back a piece's rebuilt bytes for reuse once its steps are applied.
    func recycle(_ piece: RewritePiece) { spares.giveBack(rebuiltOf: piece) }

    private func work() {
        let cleaner = makeCleaner(spares)
        lock.lock()
        defer { lock.unlock() }
        while !stopped {
            if !runTask(with: cleaner) { lock.wait(untilNanoseconds: nil) }
        }
    }

    private enum Task {
        case decode(RewritePiece)
        case decide(RewritePiece)
        case clean(RewritePiece)
    }

    /// Runs the most useful stage there is to run, with the lock released;
    /// false if there is none. Under `lock`.
    private func runTask(with cleaner: PieceCleaner) -> Bool {
        guard !stopped, let task = claim() else { return false }
        lock.unlock()
        switch task {
        case .decode(let piece): cleaner.decode(piece)
        case .decide(let piece): if piece.error == nil { PieceCleaner.decide(piece, keys: keys) }
        case .clean(let piece): cleaner.clean(piece)
        }
        lock.lock()
        finish(task)
        lock.broadcast()
        return true
    }

    /// Picks the next stage to run and marks it started. Under `lock`.
    private func claim() -> Task? {
        let end = min(stopAt, pieces.count)
        // Only the piece at `nextDecide` is ever being decided, so its stage
        // says whether another thread decides now.
        if nextDecide < end, let piece = pieces[nextDecide], piece.stage == .decoded {
            piece.stage = .deciding
            return .decide(piece)
        }
        for index in nextTake..<min(nextDecide, end) where pieces[index]!.stage == .decided {
            pieces[index]!.stage = .cleaning
            return .clean(pieces[index]!)
        }
        guard nextDecode < min(stopAt, nextTake + window) else { return nil }
        while nextDecode == pieces.count {
            guard segmentsCut < segments.count else { return nil }
            cut(segments[segmentsCut])
            segmentsCut += 1
        }
        let piece = pieces[nextDecode]!
        nextDecode += 1
        piece.stage = .decoding
        return .decode(piece)
    }

    /// Records what a stage did. Under `lock`.
    private func finish(_ task: Task) {
        switch task {
        case .decode(let piece):
            piece.stage = .decoded
        case .decide(let piece):
            nextDecide += 1
            if piece.error != nil || piece.overflowed {
                // The pieces before it were decided without it; none after it may be.
                stopAt = min(stopAt, nextDecide)
                piece.stage = .cleaned
            } else {
                piece.stage = .decided
            }
        case .clean(let piece):
            piece.stage = .cleaned
        }
    }

    /// Appends the pieces of `segment`, last first: runs of whole batches
    /// of about `pieceBytes`, found by their headers alone (decoding checks
    /// each CRC). Where the headers stop making sense the last piece runs to
    /// the end, and decoding reports the damage as a walk from the start
    /// would. Under `lock`.
    private func cut(_ segment: Segment) {
        let opened = RewriteSegment(directory: directory, base: segment.base, size: segment.size)
        var cuts = [0]
        if opened.region != nil {
            _ = BatchScanner.scan(opened.bytes, from: 0, limit: opened.size, checkCRC: false) { batch in
                let end = batch.position + batch.header.totalSize
                if end - cuts.last! >= pieceBytes && end < opened.size { cuts.append(end) }
            }
        }
        cuts.append(opened.size)
        for i in (1..<cuts.count).reversed() {
            pieces.append(RewritePiece(segment: opened, range: cuts[i - 1]..<cuts[i], claimsOnly: segment.claimsOnly))
        }
    }
}
