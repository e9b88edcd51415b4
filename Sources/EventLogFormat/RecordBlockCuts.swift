// SPDX-License-Identifier: Apache-2.0
// Where the batch builder ends LZ4 blocks, decided as records are encoded:
// the rule of RecordBoundaries.wholeRecords (whole records up to the target
// size, at least one), without reading every record's length varint again
// when the batch is sealed — that walk cost about 4% of an append.

struct RecordBlockCuts {
    /// Block ends, relative to the records section, in order; the end of
    /// the section is not listed.
    private(set) var ends: [Int] = []
    private var blockStart = 0

    mutating func reset() {
        ends.removeAll(keepingCapacity: true)
        blockStart = 0
    }

    /// Before a record of `size` bytes is written at `position`: a block that
    /// holds records already ends here if this one would take it past `target`.
    @inline(__always)
    mutating func recordWillStart(at position: Int, size: Int, target: Int) {
        if position > blockStart && position - blockStart + size > target {
            ends.append(position)
            blockStart = position
        }
    }

    /// After the record ending at `end`: a record larger than `target` is a
    /// block of its own.
    @inline(__always)
    mutating func recordDidEnd(at end: Int, target: Int) {
        if end - blockStart > target {
            ends.append(end)
            blockStart = end
        }
    }
}
