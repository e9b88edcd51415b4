// SPDX-License-Identifier: Apache-2.0
// The records at the live end of a log, encoded once for all its followers.
// Followers that have caught up all want the same records as soon as they
// are published; each reading and encoding them on its own cost 100 cursor
// reads (one allocation per field) and 100 encodings per publish at 100
// followers. Instead one task per open log and format follows the log and
// encodes each publish once into a chunk; the last chunks (up to 1 MiB) are
// kept, and a follower whose next offset they cover copies the encoded bytes
// into its frame. A follower behind them (catching up, or too slow to stay
// within the last 1 MiB) reads its own cursor, as it does when the tail
// failed (the log closed or its directory went; the follower's own cursor
// then reports why). A tail with no stream left ends at the next publish,
// so a log nobody follows costs nothing; the next stream starts another.
import EventLog
import NIOCore
import Synchronization

/// Records encoded back to back as they appear in a frame (JSON objects
/// separated by commas, or binary records), with each one's offset and
/// where its bytes start, so that a run of them is copied in one go.
struct EncodedChunk: Sendable {
    let format: RecordFormatKind
    var offsets: [UInt64] = []
    var starts: [Int] = []
    var bytes: ByteBuffer

    init(format: RecordFormatKind, capacity: Int) {
        self.format = format
        bytes = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func add(_ record: Record) {
        if format == .json && !offsets.isEmpty { bytes.writeInteger(UInt8(ascii: ",")) }
        offsets.append(record.offset)
        starts.append(bytes.writerIndex)
        switch format {
        case .json: RecordJSON.write(record, to: &bytes)
        case .binary: RecordBinary.write(record, to: &bytes)
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
        return starts[index + 1] - (format == .json ? 1 : 0)
    }

    /// Adds records from `index` on to `frame`, while it is under its
    /// limits; returns the index after the last one added.
    func add(from index: Int, to frame: inout RecordFrame, maxRecords: Int, maxBytes: Int) -> Int {
        var last = index
        var size = frame.byteCount
        while last < offsets.count && frame.count + (last - index) < maxRecords && size < maxBytes {
            size += end(of: last) - starts[last]
            last += 1
        }
        guard last > index else { return index }
        let run = bytes.getSlice(at: starts[index], length: end(of: last - 1) - starts[index])!
        frame.addEncoded(run, count: last - index, lastOffset: offsets[last - 1])
        return last
    }
}

final class LiveTail: Sendable {
    let format: RecordFormatKind
    private static let keptBytes = 1 << 20
    private static let chunkRecords = 4096
    /// At most this many chunks are kept (a publish of ten records is a
    /// chunk of one kilobyte) and looked at by one take.
    private static let keptChunks = 256
    private static let chunksPerTake = 32
    private static let chunkBytes = 256 << 10

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
    }
    private let state: Mutex<State>

    /// Starts following `log` from its end, joined by the stream that asked.
    init(log: EventLog, format: RecordFormatKind) throws(EventLogError) {
        self.format = format
        let box = CursorBox(try log.cursor(from: .latest))
        let start = box.cursor.offset
        state = Mutex(State(coveredFrom: start, coveredTo: start, streams: 1))
        Task.detached { [self] in await follow(box) }
    }

    enum Take {
        /// Records were added to the frame; the follower's next offset.
        case took(next: UInt64)
        /// The follower has every record the tail holds: wait.
        case caughtUp
        /// The tail does not hold the follower's next record: read your own cursor.
        case notHeld
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

    /// Adds the records from offset `next` on to `frame`, up to its limits.
    func take(from next: UInt64, into frame: inout RecordFrame, maxRecords: Int, maxBytes: Int) -> Take {
        let held = state.withLock { state -> (chunks: [EncodedChunk], Take?) in
            if state.failed || next < state.coveredFrom { return ([], .notHeld) }
            if next >= state.coveredTo { return ([], .caughtUp) }
            // The last chunk that starts at or before `next` (chunks are in offset order).
            var low = 0
            var high = state.chunks.count
            while high - low > 1 {
                let middle = (low + high) / 2
                if state.chunks[middle].offsets[0] <= next { low = middle } else { high = middle }
            }
            return (Array(state.chunks[low..<min(low + Self.chunksPerTake, state.chunks.count)]), nil)
        }
        if let answer = held.1 { return answer }
        var after = next
        for chunk in held.chunks {
            let index = chunk.add(
                from: chunk.index(atOrAfter: after), to: &frame, maxRecords: maxRecords, maxBytes: maxBytes)
            if index < chunk.offsets.count {
                if index > 0 { after = max(after, chunk.offsets[index - 1] + 1) }
                break
            }
            // Offsets may have gaps (compaction): the next chunk goes on after this one.
            after = chunk.offsets.last! + 1
        }
        return .took(next: after)
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
                var chunk = EncodedChunk(format: format, capacity: 4096)
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
