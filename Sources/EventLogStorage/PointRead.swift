// SPDX-License-Identifier: Apache-2.0
// The fast path of a seek by offset into an LZ4 batch whose layout the
// reader learned (BatchLayout): decompress only the block that holds the
// record sought, and of it only about as far as that record, instead of the
// whole batch (256 KiB by default, some 130 µs of LZ4 alone).
internal import EventLogFormat

enum PointRead {
    /// Decodes the records of the block of `frame` that holds the first
    /// record with an offset >= `target`, from the block's start to about
    /// that record or a little past it, into `records` and `headers`
    /// (replacing what they held), the block decompressed into `buffer`.
    /// Returns whether the records decoded run to the end of the batch, or
    /// nil if anything is not as the layout says: the caller then reads the
    /// batch in full, which checks it again and reports what is wrong.
    static func decode(
        _ layout: BatchLayout, frame: UnsafeRawBufferPointer, header: RecordBatchHeader, target: Int64,
        lz4: KafkaLZ4, buffer: ByteBuffer, into records: inout [RecordView], headers: inout [HeaderView]
    ) -> Bool? {
        let soughtDelta = Int32(clamping: target - header.baseOffset)
        var index = layout.blockIndex(forOffsetDelta: soughtDelta)
        while index < layout.blocks.count {
            let block = layout.blocks[index]
            buffer.reserveCapacity(block.size)
            let output = UnsafeMutableRawBufferPointer(start: buffer.baseAddress, count: block.size)
            var wanted = estimatedEnd(
                of: soughtDelta, in: layout, block: index, lastOffsetDelta: header.lastOffsetDelta)
            while true {
                guard let produced = lz4.decompressBlock(frame, at: block.framePosition, wanted: wanted, into: output)
                else { return nil }
                records.removeAll(keepingCapacity: true)
                headers.removeAll(keepingCapacity: true)
                let chunk = UnsafeRawBufferPointer(start: buffer.baseAddress, count: produced)
                guard
                    let end = try? RecordDecoder.decodeWholeRecords(
                        in: chunk, header: header, skippingBelow: soughtDelta, into: &records, headers: &headers)
                else { return nil }
                if let last = records.last, last.offset >= target {
                    return index == layout.blocks.count - 1 && end == block.size
                }
                guard produced < block.size else {
                    // A whole block holds whole records, all before `target`.
                    guard end == block.size else { return nil }
                    break
                }
                wanted = block.size
            }
            index += 1
        }
        // Compaction removed the batch's records from `target` on.
        records.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
        return true
    }

    /// How far into block `index` to decompress to hold the record with
    /// offset delta `delta`, guessed from where the block's records' offset
    /// deltas lie, with room for two records more.
    private static func estimatedEnd(
        of delta: Int32, in layout: BatchLayout, block index: Int, lastOffsetDelta: Int32
    ) -> Int {
        let block = layout.blocks[index]
        let nextDelta =
            index + 1 < layout.blocks.count ? layout.blocks[index + 1].firstOffsetDelta : lastOffsetDelta + 1
        let span = max(Int(nextDelta) - Int(block.firstOffsetDelta), 1)
        let recordSize = block.size / span
        let before = min(max(Int(delta) - Int(block.firstOffsetDelta), 0), span)
        return min(block.size, before * recordSize + 2 * recordSize + 64)
    }
}
