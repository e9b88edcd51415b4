// SPDX-License-Identifier: Apache-2.0
// A producer batch on its way into the segment: first the records as appends
// encode them, then, once some thread has sealed it, the finished batch bytes
// (LZ4-framed, header written, CRC set). Sealing is the costly step, so any
// free thread may do it — the flusher, a caller of flush, or an appending
// thread that just filled a batch while the flusher is busy with an earlier
// one — and batches sealed out of order are still written in order.
internal import EventLogFormat

final class QueuedBatch {
    enum Sealing {
        case waiting
        case inProgress
        case done(size: Int)
        case failed(FormatError)
    }

    let builder: RecordBatchBuilder
    /// The sealed batch, `size` bytes from the start, once `sealing` is done.
    let output: ByteBuffer
    /// Guarded by the writer's appendLock. A thread moves it from waiting to
    /// inProgress under the lock, seals without it, then records the outcome.
    var sealing = Sealing.waiting
    /// When the first record went in (monotonic ns), for the linger timer.
    var openedAt: UInt64 = 0

    init(capacity: Int) {
        builder = RecordBatchBuilder(initialCapacity: capacity)
        output = ByteBuffer(capacity: capacity)
    }

    var isWaiting: Bool { if case .waiting = sealing { true } else { false } }
    var isInProgress: Bool { if case .inProgress = sealing { true } else { false } }

    /// Compresses and frames the records. The caller has claimed the batch
    /// (inProgress), so no other thread touches the builder or the output.
    func seal(compression: Compression) -> Sealing {
        output.removeAll()
        do { return .done(size: try builder.seal(compression: compression, into: output)) } catch {
            return .failed(error)
        }
    }

    /// Empties the batch for reuse by a later producer batch.
    func reset() {
        builder.reset(baseOffset: 0)
        output.removeAll()
        sealing = .waiting
    }
}
