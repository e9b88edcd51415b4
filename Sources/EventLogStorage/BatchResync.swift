// SPDX-License-Identifier: Apache-2.0
// Finding the next intact batch after damage. A damaged header gives no
// length to skip by, so the next batch start must be found from the bytes:
// at the next .index entry past the damage when there is one (the index says
// a batch starts there), and before that by scanning forward for a header
// with magic 2 whose CRC validates. A candidate must also be followed by the
// end of the data or by something that looks like the next batch, so that a
// batch stored inside another batch's value is not mistaken for a log batch.
// Cursors use this to seek past damage; verify uses it to keep checking.
package import EventLogFormat

package enum BatchResync {
    /// The position of the first intact batch that starts after `damaged`
    /// in `bytes[..<limit]`, or nil if there is none. `indexedStart`, if
    /// given, is a batch start the .index records after `damaged`.
    package static func nextBatch(
        after damaged: Int, in bytes: UnsafeRawBufferPointer, limit: Int, indexedStart: Int? = nil
    ) -> Int? {
        let end = min(limit, bytes.count)
        guard damaged >= 0, damaged < end else { return nil }
        if let indexed = indexedStart, indexed > damaged, indexed < end {
            if let found = scan(bytes, from: damaged + 1, to: indexed, limit: end) { return found }
            if isIntact(bytes, at: indexed, limit: end) { return indexed }
            return scan(bytes, from: indexed + 1, to: end, limit: end)
        }
        return scan(bytes, from: damaged + 1, to: end, limit: end)
    }

    /// Whether a whole batch that validates (structure and CRC) starts at
    /// `position` and is followed by the end of the data, preallocated zeros
    /// or something with a batch's magic byte.
    package static func isIntact(_ bytes: UnsafeRawBufferPointer, at position: Int, limit: Int) -> Bool {
        guard let header = validatedHeader(bytes, at: position, limit: limit) else { return false }
        return isPlausibleNext(bytes, at: position + header.totalSize, limit: min(limit, bytes.count))
    }

    /// The header of a whole batch at `position` that passes its structure
    /// and CRC checks, or nil. Without `checkCRC`, only its structure: cheap
    /// enough for every seek to test an index hint with (the batch a read
    /// then returns is CRC-checked).
    package static func validatedHeader(
        _ bytes: UnsafeRawBufferPointer, at position: Int, limit: Int, checkCRC: Bool = true
    ) -> RecordBatchHeader? {
        // A whole header with a batch's magic byte: the cheap test that
        // rules out most positions of a scan.
        guard position >= 0 && min(limit, bytes.count) - position >= RecordBatchHeader.size,
            bytes[position + RecordBatchHeader.magicOffset] == UInt8(RecordBatchHeader.currentMagic)
        else { return nil }
        return BatchProbe(bytes, at: position, limit: min(limit, bytes.count), checkCRC: checkCRC).header
    }

    private static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, to stop: Int, limit: Int) -> Int? {
        let magic = UInt8(RecordBatchHeader.currentMagic)
        var position = start
        let last = min(stop, limit - RecordBatchHeader.size + 1)
        while position < last {
            // The magic byte is a cheap filter: the CRC runs only where it matches.
            if bytes[position + RecordBatchHeader.magicOffset] == magic && isIntact(bytes, at: position, limit: limit) {
                return position
            }
            position += 1
        }
        return nil
    }

    private static func isPlausibleNext(_ bytes: UnsafeRawBufferPointer, at position: Int, limit: Int) -> Bool {
        if limit - position < RecordBatchHeader.size { return true }
        if bytes[position + RecordBatchHeader.magicOffset] == UInt8(RecordBatchHeader.currentMagic) { return true }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + RecordBatchHeader.size]).allSatisfy {
            $0 == 0
        }
    }
}
