// SPDX-License-Identifier: Apache-2.0
// The one walk over a segment's batches. `scan` walks the way Kafka's
// recovery does (LogSegment.recover, FileLogInputStream.nextBatch): a batch
// that runs past the end is a torn write and ends the scan quietly; a batch
// that fails its structure or CRC check ends it with an error. Past either,
// a scan may instead resynchronise at the next intact batch (BatchResync)
// and go on, which is how indexes are rebuilt over damage. Used by recovery
// on open, by the index rebuild, compaction and inspection, and to find the
// end of a segment nobody published; verify (SegmentCheck) walks with a
// policy of its own that reports each damage and goes on.
package import EventLogFormat

package struct ScannedBatch: Sendable {
    package var position: Int
    package var header: RecordBatchHeader
}

package struct ScanOutcome: Sendable {
    /// Where the valid batches end.
    package var validEnd: Int
    /// Why the scan stopped before `limit`: nil at a clean end or a torn
    /// write; the damage found otherwise.
    package var damage: FormatError?
    /// The offset after the last batch visited (nil if none), and the
    /// largest maxTimestamp of the batches visited (-1 if none).
    package var nextOffset: Int64?
    package var maxTimestamp: Int64 = -1
}

/// What a scan does where the valid batches stop before the limit.
package enum DamagePolicy: Sendable {
    /// End the scan there.
    case stop
    /// Go on from the next intact batch after it, if any.
    case resync
}

package enum BatchScanner {
    /// Scans `bytes[from..<limit]`, calling `visit` for every valid batch.
    /// With `checkCRC` false only the headers are checked (a fast walk).
    /// The outcome tells where the first run of valid batches ends, whatever
    /// `onDamage` says to do there.
    package static func scan(
        _ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int, checkCRC: Bool = true,
        onDamage policy: DamagePolicy = .stop, visit: (ScannedBatch) -> Void = { _ in }
    ) -> ScanOutcome {
        var stopped: (position: Int, error: FormatError?)?
        var nextOffset: Int64?
        var maxTimestamp: Int64 = -1
        let visitAndNote = { (batch: ScannedBatch) in
            nextOffset = batch.header.nextOffset
            maxTimestamp = max(maxTimestamp, batch.header.maxTimestamp)
            visit(batch)
        }
        let end = walk(bytes, from: start, limit: limit, checkCRC: checkCRC, visit: visitAndNote) { position, found in
            if stopped == nil { stopped = (position, found.error) }
            guard policy == .resync else { return nil }
            return BatchResync.nextBatch(after: position, in: bytes, limit: limit)
        }
        return ScanOutcome(
            validEnd: stopped?.position ?? end, damage: stopped?.error, nextOffset: nextOffset,
            maxTimestamp: maxTimestamp)
    }

    /// The walk every scan of a segment is made of: each batch the probe
    /// finds whole and sound (BatchProbe) goes to `visit`; where none starts,
    /// `onDamage` gets the position and what the probe found, and says where
    /// the walk goes on (a later position) or ends (nil). That answer is the
    /// caller's damage policy: stop there (Kafka's recovery), resync at the
    /// next intact batch (the index rebuild), or report and go on (verify).
    /// Returns the position where the walk ended.
    @discardableResult
    package static func walk(
        _ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int, checkCRC: Bool = true,
        visit: (ScannedBatch) -> Void, onDamage: (_ position: Int, _ found: BatchProbe) -> Int?
    ) -> Int {
        var position = start
        while position < limit {
            let found = BatchProbe(bytes, at: position, limit: limit, checkCRC: checkCRC)
            if let header = found.header {
                visit(ScannedBatch(position: position, header: header))
                position += header.totalSize
            } else if let next = onDamage(position, found), next > position {
                position = next
            } else {
                break
            }
        }
        return position
    }
}

extension FormatError {
    /// The same error with its position made relative to an enclosing buffer.
    package func shifted(by offset: Int) -> FormatError {
        var copy = self
        copy.position += offset
        return copy
    }

    /// A batch whose codec the decoder cannot read, at its attributes
    /// relative to the records section, as the decoder's errors are.
    static func unsupportedCodec(of header: RecordBatchHeader) -> FormatError {
        FormatError(
            kind: .unsupportedCompression, position: RecordBatchHeader.attributesOffset - RecordBatchHeader.size,
            detail: "compression codec \(header.attributes & 7) is not supported")
    }
}
