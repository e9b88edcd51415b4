// SPDX-License-Identifier: Apache-2.0
// Read-ahead for one cursor replaying a long range: a thread of the
// cursor's own checks (CRC) and decodes the batches after the one the
// cursor is handing out, into buffers and record arrays the cursor then
// takes over whole (no copy), while the caller consumes the current batch.
// Bounded: at most `depth` batches wait decoded. It runs only over bytes
// already written (a closed segment, or the active one up to what the head
// published) and only once the cursor has read a few batches in a row with
// enough bytes left ahead, so a cursor at the live tail or one making point
// reads never starts it. It never reports damage: a batch it cannot check
// or decode ends its run, and the cursor meets the batch itself and
// reports it as always.
internal import EventLogFormat
import Glibc

/// One batch decoded ahead: its header (CRC checked), its records and
/// headers, and the buffer they point into (nil: into the mapping).
final class DecodedBatch {
    let reader: SegmentReader
    let position: Int
    var header: RecordBatchHeader
    var records: [RecordView] = []
    var headers: [HeaderView] = []
    var buffer: ByteBuffer?

    init(reader: SegmentReader, position: Int, header: RecordBatchHeader) {
        self.reader = reader
        self.position = position
        self.header = header
    }
}

/// The cursor's handle on its read-ahead thread; the thread stops when the
/// handle goes (with the cursor).
final class ReadAhead {
    /// Batches waiting decoded at most.
    static let depth = 4
    /// Loads in a row, and bytes left in the segment, before it starts.
    static let sequentialLoads = 3
    static let minimumBytesAhead = 64 << 10

    private let worker = ReadAheadWorker()
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

    /// The batch of `reader` at `position`, if decoded ahead (waiting for
    /// it if the thread is decoding it now). `spare` goes back to the
    /// thread's buffers.
    func take(_ reader: SegmentReader, at position: Int, spare: ByteBuffer?) -> DecodedBatch? {
        worker.take(reader, at: position, spare: spare)
    }

    /// Hands the arrays of a batch the cursor is done with back for reuse.
    func recycle(_ batch: DecodedBatch) { worker.recycle(batch) }
}

/// The thread's side, shared with the handle under `lock`.
private final class ReadAheadWorker: @unchecked Sendable {
    private let lock = Lock()
    private var stopping = false
    /// What to decode: the segment, the next position, how far.
    private var reader: SegmentReader?
    private var next = 0
    private var limit = 0
    /// Bumped when the target moves: a batch decoded for an old one is dropped.
    private var generation = 0
    private var decodingPosition: Int?
    private var ready: [DecodedBatch] = []
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
            let upcoming = ready.first?.position ?? decodingPosition ?? next
            if reader === segment && upcoming == position {
                limit = max(limit, end)
            } else {
                reader = segment
                next = position
                limit = end
                generation += 1
                ready.removeAll()
            }
            lock.broadcast()
        }
    }

    func take(_ segment: SegmentReader, at position: Int, spare: ByteBuffer?) -> DecodedBatch? {
        lock.withLock {
            if let spare, freeBuffers.count < ReadAhead.depth + 2 { freeBuffers.append(spare) }
            while ready.isEmpty, reader === segment, decodingPosition == position, !stopping {
                lock.wait(untilNanoseconds: nil)
            }
            guard let first = ready.first, first.reader === segment, first.position == position else {
                if !ready.isEmpty || reader === segment {
                    // The cursor went elsewhere (a seek): drop the run.
                    ready.removeAll()
                    reader = nil
                    generation += 1
                }
                return nil
            }
            ready.removeFirst()
            lock.broadcast()
            return first
        }
    }

    func recycle(_ batch: DecodedBatch) {
        lock.withLock {
            if spareArrays.count < ReadAhead.depth { spareArrays.append(batch) }
        }
    }

    func run() {
        let decoder = BatchDecoder()
        while true {
            guard let (segment, position, end, started, buffer, arrays) = nextTask() else { return }
            let batch = decode(segment, at: position, limit: end, decoder: decoder, buffer: buffer, arrays: arrays)
            lock.withLock {
                decodingPosition = nil
                if batch?.buffer !== buffer && freeBuffers.count < ReadAhead.depth + 2 { freeBuffers.append(buffer) }
                if generation == started, reader === segment {
                    if let batch {
                        ready.append(batch)
                        next = position + batch.header.totalSize
                    } else {
                        // Not a batch it can decode ahead: the cursor will see to it.
                        reader = nil
                    }
                }
                lock.broadcast()
            }
        }
    }

    /// Waits for work: the segment, position and limit to decode at, the
    /// generation, and a buffer and arrays to decode into.
    private func nextTask() -> (SegmentReader, Int, Int, Int, ByteBuffer, DecodedBatch?)? {
        lock.withLock {
            while !stopping && (reader == nil || ready.count >= ReadAhead.depth || next >= limit) {
                lock.wait(untilNanoseconds: nil)
            }
            if stopping { return nil }
            decodingPosition = next
            let buffer = freeBuffers.popLast() ?? ByteBuffer(capacity: 256 << 10)
            return (reader!, next, limit, generation, buffer, spareArrays.popLast())
        }
    }

    private func decode(
        _ segment: SegmentReader, at position: Int, limit: Int, decoder: BatchDecoder, buffer: ByteBuffer,
        arrays: DecodedBatch?
    ) -> DecodedBatch? {
        let bytes = segment.bytes(limit: limit)
        guard position < limit, limit <= bytes.count else { return nil }
        let window = UnsafeRawBufferPointer(rebasing: bytes[position..<limit])
        guard let peeked = try? RecordBatchHeader(parsing: window), peeked.totalSize <= window.count,
            !peeked.isControl,
            let header = try? RecordBatch.validate(UnsafeRawBufferPointer(rebasing: window.prefix(peeked.totalSize)))
        else { return nil }
        let batch = DecodedBatch(reader: segment, position: position, header: header)
        if let arrays {
            swap(&decoder.records, &arrays.records)
            swap(&decoder.headers, &arrays.headers)
        }
        let payload = UnsafeRawBufferPointer(rebasing: window[RecordBatchHeader.size..<header.totalSize])
        let compressed = header.compression == .lz4
        guard (try? decoder.decode(header, payload: payload, into: compressed ? buffer : nil)) == true else {
            return nil
        }
        swap(&batch.records, &decoder.records)
        swap(&batch.headers, &decoder.headers)
        batch.buffer = compressed ? buffer : nil
        return batch
    }
}
