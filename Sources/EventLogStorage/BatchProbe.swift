// SPDX-License-Identifier: Apache-2.0
// What lies at one position of a segment: the one place that decides
// whether a whole, sound batch starts there. The scan of recovery and the
// index rebuild (BatchScanner), verify (SegmentCheck), the cursor's batch
// loading and the search for the next intact batch after damage
// (BatchResync) all ask it, so they cannot disagree about a batch's
// structure or CRC; whether its offsets fit its neighbours is the other
// half of "sound here", asked of BatchOffsets. What to do with the answer
// (stop quietly at a torn write, report and go on, throw) stays with each
// caller: that is its damage policy.
package import EventLogFormat

package enum BatchProbe {
    /// A whole batch whose structure (and CRC, when asked) checks out.
    case batch(RecordBatchHeader)
    /// Fewer bytes than a length prefix: where Kafka's scan stops quietly.
    case tooShort(remaining: Int)
    /// A length that runs past the limit: a torn write at the end of what
    /// was written, damage anywhere else. The header when it could be read.
    case runsPast(totalSize: Int, remaining: Int, header: RecordBatchHeader?)
    /// Not a batch: the error's position is relative to `bytes`, not to
    /// the batch. The header when it parsed (a CRC mismatch).
    case damaged(FormatError, header: RecordBatchHeader?)

    /// Probes `bytes[position..<limit]`. Order as Kafka's
    /// FileLogInputStream: the length prefix first (a batch cut short by the
    /// end of the data is not damage), then the header, then the CRC.
    package init(_ bytes: UnsafeRawBufferPointer, at position: Int, limit: Int, checkCRC: Bool = true) {
        let remaining = limit - position
        guard remaining >= RecordBatchHeader.logOverhead else {
            self = .tooShort(remaining: max(0, remaining))
            return
        }
        let window = UnsafeRawBufferPointer(rebasing: bytes[position..<limit])
        let length: Int
        do throws(FormatError) {
            length = Int(try RecordBatchHeader.peekOffsetAndLength(window).batchLength)
        } catch {
            self = .damaged(error.shifted(by: position), header: nil)
            return
        }
        let total = RecordBatchHeader.logOverhead + length
        if length >= RecordBatchHeader.size - RecordBatchHeader.logOverhead && total > remaining {
            self = .runsPast(totalSize: total, remaining: remaining, header: try? RecordBatchHeader(parsing: window))
            return
        }
        var header: RecordBatchHeader?
        do throws(FormatError) {
            header = try RecordBatchHeader(parsing: window)
            // A negative or too small batchLength fails the parse above, so
            // the batch fits here.
            let batch = UnsafeRawBufferPointer(rebasing: window.prefix(total))
            if checkCRC { header = try RecordBatch.validate(batch) }
            self = .batch(header!)
        } catch {
            self = .damaged(error.shifted(by: position), header: header)
        }
    }

    /// What was wrong for `.damaged`; nil otherwise (a batch the data cuts
    /// short is not an error to a scan).
    package var error: FormatError? {
        if case .damaged(let error, _) = self { return error }
        return nil
    }

    /// The header of a whole batch that checked out, or nil.
    package var header: RecordBatchHeader? {
        if case .batch(let header) = self { return header }
        return nil
    }
}
