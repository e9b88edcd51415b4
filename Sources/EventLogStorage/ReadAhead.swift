// SPDX-License-Identifier: Apache-2.0
// Read-ahead for one cursor replaying a long range: the batches after the
// one the cursor is handing out are checked (CRC) and decoded ahead, into
// buffers and record arrays the cursor then takes over whole (no copy),
// while the caller consumes the current batch. Two threads decode: one of
// the cursor's own, and the cursor's thread itself whenever the batch it
// needs next is still being decoded (it takes the next undecoded batch
// instead of waiting), so a replay uses both cores; records still come out
// in offset order, as each batch goes to a slot claimed in log order.
// Bounded: at most `depth` batches claimed (decoded or being decoded). It
// runs only over bytes already written (a closed segment, or the active one
// up to what the head published) and only once the cursor has read a few
// batches in a row with enough bytes left ahead, so a cursor at the live
// tail or one making point reads never starts it. It never reports damage:
// a batch it cannot check or decode ends its run, and the cursor meets the
// batch itself and reports it as always.
internal import EventLogFormat
import Glibc

/// One batch decoded ahead: its header (CRC checked), its records and
/// headers, and the buffer they point into (nil: into the mapping of
/// `reader`, which it keeps).
final class DecodedBatch {
    let reader: SegmentReader
    var header: RecordBatchHeader
    var records: [RecordView] = []
    var headers: [HeaderView] = []
    var buffer: ByteBuffer?

    init(reader: SegmentReader, header: RecordBatchHeader) {
        self.reader = reader
        self.header = header
    }
}

/// The cursor's handle on its read-ahead thread; the thread stops when the
/// handle goes (with the cursor).
final class ReadAhead {
    /// Batches claimed (decoded, or being decoded) at most.
    static let depth = 4
    /// Loads in a row, and bytes left in the segment, before it starts.
    static let sequentialLoads = 3
    static let minimumBytesAhead = 64 << 10

    /// Where the cursor takes batches decoded ahead and gives back their arrays.
    let worker = ReadAheadWorker()
    private var thread: pthread_t?
    /// Batches the cursor loaded in a row, each where the last one ended.
    private var run = 0
    private var expected: (reader: ObjectIdentifier, position: Int)?

    deinit {
        worker.stop()
        if let thread { pthread_join(thread, nil) }
    }

    /// Tells that the cursor loaded the batch of `reader` at `loaded` and
    /// goes on at `position`, reading up to `limit`: once the loads look
    /// like a replay, the thread decodes from there.
    func loaded(_ reader: SegmentReader, at loaded: Int, next position: Int, limit: Int) {
        let key = ObjectIdentifier(reader)
        run = expected.map { $0.reader == key && $0.position == loaded } == true ? run + 1 : 1
        expected = (key, position)
        guard run >= Self.sequentialLoads, limit - position >= Self.minimumBytesAhead else { return }
        if thread == nil {
            guard let started = try? startThread({ [worker] in worker.run() }) else { return }
            thread = started
        }
        worker.follow(reader, from: position, limit: limit)
    }

    /// Whether the thread runs: before, there is nothing to take.
    var isRunning: Bool { thread != nil }
}

/// A batch claimed for decoding, in log order; `outcome` is set by the
/// thread that decodes it.
private final class Slot {
    enum Outcome {
        case decoding
        case decoded(DecodedBatch)
        /// Not a batch that can be decoded ahead: the cursor will see to it.
        case failed
    }

    let position: Int
    var outcome = Outcome.decoding

    init(position: Int) { self.position = position }
}

/// What one thread decodes, claimed under the lock and decoded outside it.
private typealias Claim = (
    slot: Slot, reader: SegmentReader, limit: Int, generation: Int, buffer: ByteBuffer, arrays: DecodedBatch?
)

/// The state both decoding threads share, under `lock`.
final class ReadAheadWorker: @unchecked Sendable {
    private let lock = Lock()
    private var stopping = false
    /// What to decode: the segment, the next position to claim, how far.
    private var reader: SegmentReader?
    private var next = 0
    private var limit = 0
    /// Bumped when the target moves: a batch decoded for an old one is dropped.
    private var generation = 0
    /// Claimed batches, in log order; the first is the cursor's next.
    private var slots: [Slot] = []
    private var freeBuffers: [ByteBuffer] = []
    private var spareArrays: [DecodedBatch] = []

    func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }

    /// Decodes from `position` of `segment` on, up to `limit`: goes on
    /// where it is if that is where the cursor will read next (moving the
    /// limit), else starts over there.
    func follow(_ segment: SegmentReader, from position: Int, limit end: Int) {
        lock.withLock {
            if reader === segment && (slots.first?.position ?? next) == position {
                limit = max(limit, end)
            } else {
                dropRun()
                reader = segment
                next = position
                limit = end
            }
            lock.broadcast()
        }
    }

    /// The batch of `segment` at `position`, decoded ahead: taken when
    /// ready; while the other thread decodes it, the calling thread decodes
    /// the next unclaimed batch with `decoder` (or waits when none is left
    /// to claim). Nil when the read-ahead does not hold that batch. `spare`
    /// goes back to the buffers.
    func take(_ segment: SegmentReader, at position: Int, spare: ByteBuffer?, decoder: BatchDecoder)
        -> DecodedBatch?
    {
        lock.lock()
        defer { lock.unlock() }
        if let spare { keep(spare) }
        while !stopping {
            // Nothing claimed yet at the cursor's position: claim it here,
            // so that the other thread goes on after it.
            if slots.isEmpty, reader === segment, next == position, let claim = claim() {
                decodeUnlocked(claim, decoder: decoder)
            }
            guard let first = slots.first, reader === segment, first.position == position else {
                // The cursor went elsewhere (a seek): drop the run.
                if reader === segment || !slots.isEmpty { dropRun() }
                return nil
            }
            switch first.outcome {
            case .decoded(let batch):
                slots.removeFirst()
                lock.broadcast()
                return batch
            case .failed:
                dropRun()
                return nil
            case .decoding:
                // Decoded by the other thread now: decode the next batch
                // meanwhile rather than wait.
                decodeNextOrWait(decoder)
            }
        }
        return nil
    }

    /// Takes back the arrays of a batch the cursor is done with, for reuse.
    func recycle(_ batch: DecodedBatch) {
        lock.withLock { if spareArrays.count < ReadAhead.depth { spareArrays.append(batch) } }
    }

    func run() {
        let decoder = BatchDecoder()
        lock.lock()
        defer { lock.unlock() }
        while !stopping { decodeNextOrWait(decoder) }
    }

    /// Decodes the next unclaimed batch, or waits when there is none to
    /// claim (the lock held).
    private func decodeNextOrWait(_ decoder: BatchDecoder) {
        if let claim = claim() { decodeUnlocked(claim, decoder: decoder) } else { lock.wait(untilNanoseconds: nil) }
    }

    /// Claims the batch at `next` (the lock held), or nil when there is
    /// none to claim: no target, `depth` claimed, the limit reached, or a
    /// batch before it failed.
    private func claim() -> Claim? {
        guard let reader, slots.count < ReadAhead.depth, next < limit else { return nil }
        if case .failed = slots.last?.outcome { return nil }
        let slot = Slot(position: next)
        slots.append(slot)
        let bytes = reader.bytes(limit: limit)
        guard limit <= bytes.count,
            let header = try? RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: bytes[next..<limit])),
            header.totalSize <= limit - next
        else {
            // Damage or a torn end: the cursor meets it and reports it.
            slot.outcome = .failed
            return nil
        }
        next += header.totalSize
        return (
            slot, reader, limit, generation, freeBuffers.popLast() ?? ByteBuffer(capacity: 256 << 10),
            spareArrays.popLast()
        )
    }

    /// Decodes `claim` with the lock released, and fills its slot.
    private func decodeUnlocked(_ claim: Claim, decoder: BatchDecoder) {
        lock.unlock()
        let batch = Self.decode(claim, decoder: decoder)
        lock.lock()
        if batch?.buffer !== claim.buffer { keep(claim.buffer) }
        if generation == claim.generation {
            claim.slot.outcome = batch.map { .decoded($0) } ?? .failed
        } else if let buffer = batch?.buffer {
            keep(buffer)
        }
        lock.broadcast()
    }

    /// Forgets the batches claimed (the lock held): what is being decoded
    /// now is dropped when it is done.
    private func dropRun() {
        for slot in slots {
            if case .decoded(let batch) = slot.outcome, let buffer = batch.buffer { keep(buffer) }
        }
        slots.removeAll()
        reader = nil
        generation += 1
    }

    private func keep(_ buffer: ByteBuffer) {
        if freeBuffers.count < ReadAhead.depth + 2 { freeBuffers.append(buffer) }
    }

    /// Checks and decodes the batch of `claim`; nil if it is not one to
    /// decode ahead (damaged, or a control batch).
    private static func decode(_ claim: Claim, decoder: BatchDecoder) -> DecodedBatch? {
        let bytes = claim.reader.bytes(limit: claim.limit)
        let position = claim.slot.position
        // The CRC is checked after decoding, as the scan does it (see
        // PieceDecoder). A batch that fails anything is left to the cursor,
        // whose own load reports it.
        guard let header = BatchProbe(bytes, at: position, limit: claim.limit, checkCRC: false).header,
            !header.isControl
        else { return nil }
        let batch = DecodedBatch(reader: claim.reader, header: header)
        if let arrays = claim.arrays {
            swap(&decoder.records, &arrays.records)
            swap(&decoder.headers, &arrays.headers)
        }
        let payload = UnsafeRawBufferPointer(
            rebasing: bytes[position + RecordBatchHeader.size..<position + header.totalSize])
        let compressed = header.compression == .lz4
        guard (try? decoder.decode(header, payload: payload, into: compressed ? claim.buffer : nil)) == true,
            RecordBatch.crcMismatch(
                UnsafeRawBufferPointer(rebasing: bytes[position..<position + header.totalSize]), header: header)
                == nil
        else { return nil }
        swap(&batch.records, &decoder.records)
        swap(&batch.headers, &decoder.headers)
        batch.buffer = compressed ? claim.buffer : nil
        return batch
    }
}

// How a cursor uses it: after each batch it loads it says where it goes on,
// and it takes a batch decoded ahead with only what depends on its own
// position left to check (the batch's offsets against the batch before it).
extension LogCursor {
    /// The batch at `position` as decoded ahead, now the cursor's; nil to
    /// load it here.
    func loadDecodedAhead(_ reader: SegmentReader, limit: Int, head: HeadState) throws(EventLogError)
        -> RecordBatchHeader?
    {
        guard !seekedIntoBatch, let readAhead, readAhead.isRunning,
            let batch = readAhead.worker.take(reader, at: position, spare: freeBuffers.popLast(), decoder: decoder)
        else { return nil }
        // A batch whose offsets do not fit is loaded again here, which
        // reports it as usual.
        guard batch.header.totalSize <= limit - position,
            try offsetProblem(batch.header, limit: limit, head: head) == nil
        else {
            readAhead.worker.recycle(batch)
            return nil
        }
        if let buffer = batchBuffer { retiredBuffers.append(buffer) }
        batchBuffer = batch.buffer
        if batch.buffer == nil { retiredSegments.append(reader) }
        handOut.clearBatch()
        swap(&handOut.batchRecords, &batch.records)
        swap(&handOut.batchHeaders, &batch.headers)
        readAhead.worker.recycle(batch)
        return finishBatch(batch.header, loadedFrom: reader, limit: limit)
    }
}
