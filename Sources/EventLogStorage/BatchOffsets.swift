// SPDX-License-Identifier: Apache-2.0
// Whether a batch's offsets fit where it lies in a segment. baseOffset is
// outside the CRC, so a batch that validates can still carry a damaged one,
// which would give every record a wrong offset: its offsets are checked
// against its neighbours instead. The cursor, verify and recovery ask this
// one rule, each saying in its own words what it found; the scan,
// inspection, batch listing and compaction ask it through FollowedOffsets.
package import EventLogFormat

struct BatchOffsets {
    /// The segment's base: offsets relative to it must fit an int32.
    var segmentBase: Int64
    /// The smallest baseOffset the batch may have: the offset after the
    /// batch before it, or the segment's base.
    var lower: Int64
    /// The baseOffset of the batch that follows in the segment, if any.
    var nextBatchBase: Int64?
    /// With no batch after it, what its offsets must stay below: the next
    /// segment's base or the end of the log; nil when nothing bounds them.
    var end: Int64?
    /// The offset the writer published after its data, when the batch ends
    /// where that data ends: the batch's next offset must be that one.
    var published: Int64?

    enum Problem: Equatable {
        /// baseOffset is below `lower`.
        case goesBack
        /// The last offset is more than 2^31-1 past the segment's base.
        case pastRelativeRange
        /// The batch's offsets reach the next batch's baseOffset.
        case overlapsNext(Int64)
        /// The batch's offsets reach `end`.
        case reachesEnd(Int64)
        /// The batch's next offset is not the published one.
        case disagreesWithPublished(Int64)
    }

    /// What is wrong with `header`'s offsets here, or nil.
    func problem(_ header: RecordBatchHeader) -> Problem? {
        if header.baseOffset < lower { return .goesBack }
        if header.lastOffset - segmentBase > Int64(Int32.max) { return .pastRelativeRange }
        if let next = nextBatchBase {
            if header.nextOffset > next { return .overlapsNext(next) }
        } else if let end, header.nextOffset > end {
            return .reachesEnd(end)
        }
        if let published, header.nextOffset != published { return .disagreesWithPublished(published) }
        return nil
    }

    /// The baseOffset of the batch header at `position`, if a whole header
    /// parses there before `limit` (its CRC unchecked: only its claim).
    static func baseOffset(in bytes: UnsafeRawBufferPointer, at position: Int, limit: Int) -> Int64? {
        guard position >= 0, limit - position >= RecordBatchHeader.size,
            let header = try? RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: bytes[position..<limit]))
        else { return nil }
        return header.baseOffset
    }
}

/// The offset rule along a walk of one segment's batches, for the walks
/// that read batches without a cursor: the scan, inspection, batch listing
/// and compaction. Each batch must start at or after the end of the one before
/// (the segment's base for the first one walked) and end before the next
/// one's start; a baseOffset damaged outside the CRC fails here instead of
/// giving wrong offsets or arithmetic that overflows.
package struct FollowedOffsets {
    private var offsets: BatchOffsets

    package init(segmentBase: Int64) {
        offsets = BatchOffsets(segmentBase: segmentBase, lower: segmentBase)
    }

    /// Nil if the offsets of the batch `header` at `position` of `bytes`
    /// fit between the batch before and the header that follows it (read up
    /// to `limit`); else the error, positioned at the batch's baseOffset
    /// (relative to `bytes`), in the cursor's words.
    package mutating func check(
        _ header: RecordBatchHeader, at position: Int, in bytes: UnsafeRawBufferPointer, limit: Int
    ) -> FormatError? {
        // A next batch that starts below what this one may start at goes
        // back itself: it is the damaged one, and fails on its own turn.
        offsets.nextBatchBase = BatchOffsets.baseOffset(in: bytes, at: position + header.totalSize, limit: limit)
            .flatMap { $0 >= offsets.lower ? $0 : nil }
        guard offsets.problem(header) == nil else {
            return FormatError(
                kind: .invalidRecord, position: position + RecordBatchHeader.baseOffsetOffset,
                detail:
                    "batch offsets \(header.baseOffset)...\(header.lastOffset) do not fit between \(offsets.lower) and "
                    + (offsets.nextBatchBase.map { "\($0)" } ?? "the segment's end"))
        }
        offsets.lower = header.nextOffset
        return nil
    }
}
