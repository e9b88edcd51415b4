// SPDX-License-Identifier: Apache-2.0
// CompactedBatchBuilder re-encodes a batch that the log cleaner filtered,
// as Kafka's MemoryRecords.buildRetainedRecordsInto does (Docs/FORMAT.md §12):
// the batch keeps its baseOffset, lastOffsetDelta, partitionLeaderEpoch,
// producer fields, timestamp type and flags; the kept records keep their
// offsets (so offset deltas may have gaps) and timestamps; recordsCount is
// the number kept; baseTimestamp is the first kept record's timestamp, or the
// delete horizon (attribute bit 6) with every timestampDelta taken relative to
// it; maxTimestamp is recomputed for CreateTime; the records are compressed
// again with the batch's codec, as one fresh Kafka-style LZ4 frame. It also
// writes the 61-byte empty batch Kafka keeps so that a batch's last offset
// survives when none of its records do. Not thread-safe: one builder per
// cleaning thread, reused from batch to batch.

package final class CompactedBatchBuilder {
    /// The header gap followed by the encoded, uncompressed records.
    private let buffer = ByteBuffer(capacity: 64 << 10)
    /// Created on the first LZ4 batch.
    private lazy var lz4 = KafkaLZ4()
    /// One record's headers in the encoder's form; reused.
    private var headerScratch: [HeaderBytes] = []

    package init() {}

    /// Appends to `output` the batch `original` reduced to `kept`, which are
    /// records decoded from it, in offset order, at least one; `headers` is
    /// the array their header views index. With `deleteHorizon`, attribute
    /// bit 6 is set and baseTimestamp holds the horizon. Returns the size
    /// written. Only codecs none and LZ4 can be written (`.unsupportedCompression`
    /// otherwise); nothing is appended when it throws.
    package func build(
        original: RecordBatchHeader, kept: [RecordView], headers: [HeaderView], deleteHorizon: Int64?,
        into output: ByteBuffer
    ) throws(FormatError) -> Int {
        precondition(!kept.isEmpty, "a compacted batch keeps at least one record; use appendEmpty")
        let codec = try BatchPayload.writable(original.compression)
        let baseTimestamp = deleteHorizon ?? kept[0].timestamp
        var maxTimestamp = Int64.min
        buffer.truncate(to: 0)
        buffer.appendZeros(RecordBatchHeader.size)
        for record in kept {
            maxTimestamp = max(maxTimestamp, record.timestamp)
            // Offsets stay where they were: the delta from the original base.
            let offsetDelta = Int32(truncatingIfNeeded: record.offset &- original.baseOffset)
            let timestampDelta = record.timestamp &- baseTimestamp
            headerScratch.removeAll(keepingCapacity: true)
            for header in headers[record.headerStart..<record.headerStart + record.headerCount] {
                headerScratch.append(HeaderBytes(key: header.key, value: header.value))
            }
            headerScratch.withUnsafeBufferPointer { recordHeaders in
                let body = RecordEncoding.bodySize(
                    offsetDelta: offsetDelta, timestampDelta: timestampDelta, keyCount: record.key?.count,
                    valueCount: record.value?.count, headers: recordHeaders)
                buffer.reserveCapacity(buffer.count + Varint.size(Int64(body)) + body)
                let written = RecordEncoding.write(
                    bodySize: body, offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: record.key,
                    value: record.value, headers: recordHeaders, to: buffer.baseAddress + buffer.count)
                buffer.unsafeExtend(by: written)
            }
        }
        let start = output.count
        let size = try BatchPayload.append(buffer, codec: codec, lz4: lz4, into: output, start: start)
        var attributes = original.attributes & ~RecordBatchHeader.deleteHorizonFlag
        if deleteHorizon != nil { attributes |= RecordBatchHeader.deleteHorizonFlag }
        let header = RecordBatchHeader(
            baseOffset: original.baseOffset, batchLength: Int32(size - RecordBatchHeader.logOverhead),
            partitionLeaderEpoch: original.partitionLeaderEpoch, attributes: attributes,
            lastOffsetDelta: original.lastOffsetDelta, baseTimestamp: baseTimestamp,
            // LogAppendTime: every record reads as the broker's append time.
            maxTimestamp: original.isLogAppendTime ? original.maxTimestamp : maxTimestamp,
            producerId: original.producerId, producerEpoch: original.producerEpoch,
            baseSequence: original.baseSequence, recordsCount: Int32(kept.count))
        let batch = UnsafeMutableRawBufferPointer(start: output.baseAddress + start, count: size)
        header.write(to: batch.baseAddress!)
        RecordBatch.updateCRC(batch)
        return size
    }

    /// Appends the header-only batch that stands for `original` when none of
    /// its records is kept, as Kafka's DefaultRecordBatch.writeEmptyHeader
    /// writes it: same baseOffset and lastOffsetDelta (so the last offset
    /// survives), count 0, codec none, baseTimestamp −1, the original
    /// maxTimestamp, and the original epoch, producer fields, timestamp type
    /// and transactional/control flags. Returns its size, 61.
    @discardableResult
    package static func appendEmpty(original: RecordBatchHeader, into output: ByteBuffer) -> Int {
        let start = output.count
        output.appendZeros(RecordBatchHeader.size)
        let kept =
            RecordBatchHeader.logAppendTimeFlag | RecordBatchHeader.transactionalFlag | RecordBatchHeader.controlFlag
        let header = RecordBatchHeader(
            baseOffset: original.baseOffset, batchLength: Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead),
            partitionLeaderEpoch: original.partitionLeaderEpoch, attributes: original.attributes & kept,
            lastOffsetDelta: original.lastOffsetDelta, baseTimestamp: -1, maxTimestamp: original.maxTimestamp,
            producerId: original.producerId, producerEpoch: original.producerEpoch,
            baseSequence: original.baseSequence, recordsCount: 0)
        let batch = UnsafeMutableRawBufferPointer(start: output.baseAddress + start, count: RecordBatchHeader.size)
        header.write(to: batch.baseAddress!)
        RecordBatch.updateCRC(batch)
        return RecordBatchHeader.size
    }
}
