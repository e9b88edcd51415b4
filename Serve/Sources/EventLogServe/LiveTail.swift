// SPDX-License-Identifier: Apache-2.0
// The records at the live end of a log, encoded once for all its followers.
// Followers that have caught up all want the same records as soon as they
// are published; each reading and encoding them on its own cost 100 cursor
// reads (one allocation per field) and 100 encodings per publish at 100
// followers. Instead one task per open log and encoding follows the log and
// encodes each publish once into a chunk; the last chunks (up to 1 MiB) are
// kept, and a follower whose next offset they cover copies the encoded bytes
// into its frame. The followers that wait at the same offset, as they all do
// at the live end, share the frame the first of them built (its bytes are
// not copied again). A follower behind the chunks (catching up, or too slow
// to stay within the last 1 MiB) reads its own cursor, as it does when the
// tail failed (the log closed or its directory went; the follower's own
// cursor then reports why). A tail with no stream left ends at the next
// publish, so a log nobody follows costs nothing; the next stream starts
// another.
import EventLog
import NIOCore
import Synchronization

/// How a live tail encodes records: as they appear in a WebSocket frame of
/// records (JSON or binary), or as Server-Sent Events.
enum TailEncoding: Hashable, Sendable {
    case frame(RecordFormatKind)
    case serverSentEvents
}

/// Records encoded back to back as they appear in a frame (JSON objects
/// separated by commas, binary records, or events), with each one's offset
/// and where its bytes start, so that a run of them is copied in one go.
struct EncodedChunk: Sendable {
    let encoding: TailEncoding
    var offsets: [UInt64] = []
    var starts: [Int] = []
    var bytes: ByteBuffer
    /// The comma between two JSON objects, which a run leaves out at its ends.
    private var separatorBytes: Int { encoding == .frame(.json) ? 1 : 0 }

    init(encoding: TailEncoding, capacity: Int) {
        self.encoding = encoding
        bytes = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func add(_ record: Record) {
        if separatorBytes > 0 && !offsets.isEmpty { bytes.writeInteger(UInt8(ascii: ",")) }
        offsets.append(record.offset)
        starts.append(bytes.writerIndex)
        switch encoding {
        case .frame(.json): RecordJSON.write(record, to: &bytes)
        case .frame(.binary): RecordBinary.write(record, to: &bytes)
        case .serverSentEvents: ServerSentEvent.write(record, to: &bytes)
        }
    }

    /// The index of the first record at or after `offset` (count if none).
    func index(atOrAfter offset: UInt64) -> Int {
        var low = 0
        var high = offsets.count
        while low < high {
            let middle = (low + high) / 2
            if offsets[middle] < offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Where record `index`'s bytes end (before the next one's comma).
    func end(of index: Int) -> Int {
        guard index + 1 < starts.count else { return bytes.writerIndex }
        return starts[index + 1] - separatorBytes
    }

    /// The records from `index` on that fit beside `count` records and
    /// `size` bytes under the limits: their bytes, how many, and the index
    /// after the last (nil if none fits).
    func run(from index: Int, count: Int, size: Int, maxRecords: Int, maxBytes: Int) -> (
        bytes: ByteBuffer, count: Int, after: Int
    )? {
        var last = index
        var size = size
        while last < offsets.count && count + (last - index) < maxRecords && size < maxBytes {
            size += end(of: last) - starts[last]
            last += 1
        }
        guard last > index else { return nil }
        return (bytes.getSlice(at: starts[index], length: end(of: last - 1) - starts[index])!, last - index, last)
    }

    /// Adds records from `index` on to `frame`, while it is under its
    /// limits; returns the index after the last one added.
    func add(from index: Int, to frame: inout RecordFrame, maxRecords: Int, maxBytes: Int) -> Int {
        guard
            let run = run(
                from: index, count: frame.count, size: frame.byteCount, maxRecords: maxRecords, maxBytes: maxBytes)
        else { return index }
        frame.addEncoded(run.bytes, count: run.count, lastOffset: offsets[run.after - 1])
        return run.after
    }
}

final class LiveTail: Sendable {
    let encoding: TailEncoding
    private static let keptBytes = 1 << 20
    private static let chunkRecords = 4096
    /// At most this many chunks are kept (a publish of ten records is a
    /// chunk of one kilobyte) and looked at by one take.
    private static let keptChunks = 256
    private static let chunksPerTake = 32
    private static let chunkBytes = 256 << 10

    /// A finished frame and what it holds, kept for the next follower that
    /// asks for the same one.
    struct Frame {
        let bytes: ByteBuffer
        /// How many records it holds: none when the held records from the
        /// follower's next offset on were all removed by compaction.
        let count: Int
        let lastOffset: Int64
        /// The offset after its last record: the follower's next.
        let next: UInt64
    }

    private struct SharedFrame {
        let from: UInt64
        let maxRecords: Int
        let maxBytes: Int
        /// What the tail covered when it was built; a publish since makes a
        /// longer frame possible, so the next follower builds that one.
        let coveredTo: UInt64
        let frame: Frame
    }

    private struct State {
        var chunks: [EncodedChunk] = []
        var keptBytes = 0
        /// The tail holds every record of the log with an offset in
        /// [coveredFrom, coveredTo): it read them all, in order.
        var coveredFrom: UInt64
        var coveredTo: UInt64
        /// Ended: the log failed, or no stream used it.
        var failed = false
        /// The streams using the tail.
        var streams = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var cancelledEarly: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
        var sharedFrame: SharedFrame?
    }
    private let state: Mutex<State>

    /// Starts following `log` from its end, joined by the stream that asked.
    init(log: EventLog, encoding: TailEncoding) throws(EventLogError) {
        self.encoding = encoding
        let box = CursorBox(try log.cursor(from: .latest))
        let start = box.cursor.offset
        state = Mutex(State(coveredFrom: start, coveredTo: start, streams: 1))
        Task.detached { [self] in await follow(box) }
    }

    enum Take<Taken> {
        /// Records from the follower's next offset on.
        case took(Taken)
        /// The follower has every record the tail holds: wait.
        case caughtUp
        /// The tail does not hold the follower's next record: read your own cursor.
        case notHeld

        /// The same answer with what was taken transformed.
        func map<Other>(_ transform: (Taken) -> Other) -> Take<Other> {
            switch self {
            case .took(let taken): .took(transform(taken))
            case .caughtUp: .caughtUp
            case .notHeld: .notHeld
            }
        }
    }

    /// Counts a stream using the tail; false if the tail has ended.
    func join() -> Bool {
        state.withLock { state in
            guard !state.failed else { return false }
            state.streams += 1
            return true
        }
    }

    func leave() { state.withLock { $0.streams -= 1 } }

    /// What the tail holds from an offset on.
    private struct Held {
        /// The chunk that holds the offset (or the gap it falls in) and the ones after it.
        let chunks: ArraySlice<EncodedChunk>
        /// Whether they go on to the last chunk: then after their last
        /// record come no more records before `coveredTo`.
        let reachesEnd: Bool
        let coveredTo: UInt64
    }

    private func chunks(from next: UInt64) -> Take<Held> {
        state.withLock { state in
            if state.failed || next < state.coveredFrom { return .notHeld }
            if next >= state.coveredTo { return .caughtUp }
            // The last chunk that starts at or before `next` (chunks are in offset order).
            var low = 0
            var high = state.chunks.count
            while high - low > 1 {
                let middle = (low + high) / 2
                if state.chunks[middle].offsets[0] <= next { low = middle } else { high = middle }
            }
            let end = min(low + Self.chunksPerTake, state.chunks.count)
            return .took(
                Held(
                    chunks: state.chunks[low..<end], reachesEnd: end == state.chunks.count,
                    coveredTo: state.coveredTo))
        }
    }

    /// A frame of the records from offset `next` on, up to the limits: the
    /// one another follower took from there since the last publish, or one
    /// built with `builder` (empty, in this tail's format).
    func takeFrame(from next: UInt64, maxRecords: Int, maxBytes: Int, builder: inout RecordFrame) -> Take<Frame> {
        let shared = state.withLock { state -> Frame? in
            guard let shared = state.sharedFrame, shared.from == next, shared.coveredTo == state.coveredTo,
                shared.maxRecords == maxRecords, shared.maxBytes == maxBytes
            else { return nil }
            return shared.frame
        }
        if let shared { return .took(shared) }
        let walked = walk(from: next) { chunk, index in
            chunk.add(from: index, to: &builder, maxRecords: maxRecords, maxBytes: maxBytes)
        }
        return walked.map { after, coveredTo in
            guard builder.count > 0 else { return Frame(bytes: ByteBuffer(), count: 0, lastOffset: -1, next: after) }
            let count = builder.count
            let lastOffset = builder.lastOffset
            let frame = Frame(bytes: builder.take(), count: count, lastOffset: lastOffset, next: after)
            state.withLock { state in
                state.sharedFrame = SharedFrame(
                    from: next, maxRecords: maxRecords, maxBytes: maxBytes, coveredTo: coveredTo, frame: frame)
            }
            return frame
        }
    }

    /// The encoded records (events) from offset `next` on, appended to
    /// `out` while it holds under `maxBytes`; the offset after the last.
    func take(from next: UInt64, into out: inout ByteBuffer, maxBytes: Int) -> Take<UInt64> {
        let walked = walk(from: next) { chunk, index in
            guard
                let run = chunk.run(
                    from: index, count: 0, size: out.readableBytes, maxRecords: .max, maxBytes: maxBytes)
            else { return index }
            out.writeImmutableBuffer(run.bytes)
            return run.after
        }
        return walked.map { after, _ in after }
    }

    /// Walks the chunks held from offset `next` on, letting `append` take
    /// each chunk's records from an index on; `append` returns the index
    /// after the last record it took, short of the chunk's end once the
    /// output is full. Gives the offset after the last record taken (when
    /// every held record was taken, what the tail covered: offsets without
    /// a record, removed by compaction, are passed too) and what the tail
    /// covered when the chunks were read.
    private func walk(from next: UInt64, append: (EncodedChunk, Int) -> Int) -> Take<(UInt64, UInt64)> {
        chunks(from: next).map { held in
            var after = next
            for chunk in held.chunks {
                let index = chunk.index(atOrAfter: after)
                let end = index < chunk.offsets.count ? append(chunk, index) : index
                if end > index { after = max(after, chunk.offsets[end - 1] + 1) }
                if end < chunk.offsets.count { return (after, held.coveredTo) }
                // Offsets may have gaps (compaction): the next chunk goes on after this one.
                after = max(after, chunk.offsets.last! + 1)
            }
            return (held.reachesEnd ? max(after, held.coveredTo) : after, held.coveredTo)
        }
    }

    /// Returns when the tail holds records at or after `next` it did not
    /// hold, when it failed, or when the task is cancelled.
    func wait(beyond next: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter &+= 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if state.cancelledEarly.remove(id) != nil || state.failed || state.coveredTo > next { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.resume()
        }
        state.withLock { _ = $0.cancelledEarly.remove(id) }
    }

    /// The tail's task: reads what is published, one chunk per read.
    private func follow(_ box: CursorBox) async {
        let cursor = box.cursor
        var waiting = cursor.following.makeAsyncIterator()
        do {
            while true {
                var chunk = EncodedChunk(encoding: encoding, capacity: 4096)
                // Nothing new: suspend (no thread held) until a record is written.
                var first = try cursor.next()
                if first == nil { first = try await waiting.next() }
                // With no stream left to serve, stop encoding (the next stream starts a new tail).
                guard let first, state.withLock({ $0.streams > 0 }) else { break }
                chunk.add(first)
                while chunk.offsets.count < Self.chunkRecords && chunk.bytes.readableBytes < Self.chunkBytes,
                    let record = try cursor.next()
                {
                    chunk.add(record)
                }
                publish(chunk, coveredTo: cursor.offset)
            }
        } catch {
            // The followers read their own cursors, which report it.
        }
        let waiters = state.withLock { state in
            state.failed = true
            state.chunks = []
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    private func publish(_ chunk: EncodedChunk, coveredTo: UInt64) {
        let waiters = state.withLock { state in
            state.chunks.append(chunk)
            state.keptBytes += chunk.bytes.readableBytes
            state.coveredTo = coveredTo
            while (state.keptBytes > Self.keptBytes || state.chunks.count > Self.keptChunks) && state.chunks.count > 1 {
                let dropped = state.chunks.removeFirst()
                state.keptBytes -= dropped.bytes.readableBytes
                state.coveredFrom = state.chunks[0].offsets[0]
            }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}
