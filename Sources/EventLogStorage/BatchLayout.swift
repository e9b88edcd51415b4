// SPDX-License-Identifier: Apache-2.0
// What a reader learned about an LZ4 batch it checked and decoded in full:
// that every block of its frame starts at a record, and the offset of that
// record. A point read in the batch then decompresses only the block that
// holds its record.
//
// Only learned, never assumed from the bytes: a block of a frame written by
// Kafka (64 KiB blocks cut anywhere) can start inside a record whose value
// looks like records, and decoding from there would return records nobody
// wrote. The writer ends blocks at record boundaries so that its batches can
// be learned; a batch whose blocks do not all start at a record is simply
// not remembered and keeps being read in full.
internal import EventLogFormat

struct BatchLayout {
    struct Block {
        /// The block's size field, relative to the start of the LZ4 frame.
        var framePosition: Int
        /// The bytes the block decompresses to.
        var size: Int
        /// The offset delta of the record the block starts with.
        var firstOffsetDelta: Int32
    }

    /// The batch as checked, so a different batch written later at the same
    /// position (after a writer's recovery truncated the active segment)
    /// does not match.
    var crc: UInt32
    var totalSize: Int
    var baseOffset: Int64
    var blocks: [Block]

    /// The layout of a batch whose records section `section` (decompressed
    /// from the frame `blockStarts` describes) decoded into `records`; nil
    /// unless every block starts at a record.
    init?(
        header: RecordBatchHeader, section: UnsafeRawBufferPointer, blockStarts: [LZ4BlockStart], records: [RecordView]
    ) {
        guard let base = section.baseAddress, !blockStarts.isEmpty, records.count == Int(header.recordsCount) else {
            return nil
        }
        // A point read finds its block by offset: offsets must rise through
        // the batch (Kafka does not check that, so a crafted batch may not).
        for index in records.indices.dropFirst() where records[index].offset <= records[index - 1].offset {
            return nil
        }
        var blocks: [Block] = []
        blocks.reserveCapacity(blockStarts.count)
        var recordIndex = 0
        var recordStart = 0
        for (index, start) in blockStarts.enumerated() {
            while recordStart < start.outputPosition {
                guard let next = RecordBoundaries.recordEnd(base, at: recordStart, limit: section.count) else {
                    return nil
                }
                recordStart = next
                recordIndex += 1
            }
            guard recordStart == start.outputPosition, recordIndex < records.count else { return nil }
            let end = index + 1 < blockStarts.count ? blockStarts[index + 1].outputPosition : section.count
            blocks.append(
                Block(
                    framePosition: start.framePosition, size: end - start.outputPosition,
                    firstOffsetDelta: Int32(truncatingIfNeeded: records[recordIndex].offset - header.baseOffset)))
        }
        self.crc = header.crc
        self.totalSize = header.totalSize
        self.baseOffset = header.baseOffset
        self.blocks = blocks
    }

    func matches(_ header: RecordBatchHeader) -> Bool {
        header.crc == crc && header.totalSize == totalSize && header.baseOffset == baseOffset
    }

    /// The block whose records include the first with an offset delta >=
    /// `delta` (or the last block with a smaller first delta: the record may
    /// then be in the block after it).
    func blockIndex(forOffsetDelta delta: Int32) -> Int {
        max(partitionPoint(blocks.count) { blocks[$0].firstOffsetDelta > delta } - 1, 0)
    }
}
