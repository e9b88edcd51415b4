// SPDX-License-Identifier: Apache-2.0
// Walks the batches of a segment's bytes the way Kafka's recovery does
// (LogSegment.recover, FileLogInputStream.nextBatch): a batch that runs past
// the end is a torn write and ends the scan quietly; a batch that fails its
// structure or CRC check ends it with an error. Past either, a scan may
// instead resynchronise at the next intact batch (BatchResync) and go on,
// which is how indexes are rebuilt over damage. Used by recovery on open, by
// the index rebuild, compaction and inspection, and to find the end of a
// segment nobody published.
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
        let outcome = scanRun(bytes, from: start, limit: limit, checkCRC: checkCRC, visit: visit)
        guard policy == .resync else { return outcome }
        var stop = outcome.validEnd
        while stop < limit, let next = BatchResync.nextBatch(after: stop, in: bytes, limit: limit) {
            stop = scanRun(bytes, from: next, limit: limit, checkCRC: checkCRC, visit: visit).validEnd
        }
        return outcome
    }

    private static func scanRun(
        _ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int, checkCRC: Bool, visit: (ScannedBatch) -> Void
    ) -> ScanOutcome {
        var position = start
        while position < limit {
            switch BatchProbe(bytes, at: position, limit: limit, checkCRC: checkCRC) {
            case .batch(let header):
                visit(ScannedBatch(position: position, header: header))
                position += header.totalSize
            case .tooShort, .runsPast:
                // Kafka stops quietly at a batch the data cuts short.
                return ScanOutcome(validEnd: position, damage: nil)
            case .damaged(let error, _):
                return ScanOutcome(validEnd: position, damage: error)
            }
        }
        return ScanOutcome(validEnd: position, damage: nil)
    }
}

extension FormatError {
    /// The same error with its position made relative to an enclosing buffer.
    package func shifted(by offset: Int) -> FormatError {
        var copy = self
        copy.position += offset
        return copy
    }
}
