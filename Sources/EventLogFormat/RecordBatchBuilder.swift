// SPDX-License-Identifier: Apache-2.0
// RecordBatchBuilder, the equivalent of Kafka's MemoryRecordsBuilder for one
// RecordBatch v2: records are encoded as they are appended, after a 61-byte
// gap for the header, into one reusable buffer; seal() compresses the
// records section if asked, fills in the header and the CRC, and appends the
// finished batch to the caller's buffer. Not thread-safe; reuse one builder
// per producer thread, calling reset(baseOffset:) before each batch.

package final class RecordBatchBuilder {
    /// The header gap followed by the encoded, uncompressed records.
    private let buffer: ByteBuffer
    /// Created on the first LZ4 seal, so builders that never compress do not pay for its state.
    private lazy var lz4 = KafkaLZ4()

    // Unchecked for the reason given in ByteBuffer: per-record runtime exclusivity checks.
    @exclusivity(unchecked) package private(set) var recordsCount = 0
    package private(set) var baseOffset: Int64 = 0
    /// The first record's timestamp (the batch's baseTimestamp); -1 while empty.
    @exclusivity(unchecked) package private(set) var firstTimestamp: Int64 = -1
    /// The largest record timestamp; -1 while empty.
    @exclusivity(unchecked) package private(set) var maxTimestamp: Int64 = -1
    /// Where the LZ4 blocks of the sealed batch will end.
    @exclusivity(unchecked) private var blockCuts = RecordBlockCuts()

    package init(initialCapacity: Int = 64 << 10) {
        buffer = ByteBuffer(capacity: max(initialCapacity, RecordBatchHeader.size))
        buffer.appendZeros(RecordBatchHeader.size)
    }

    /// Starts a new, empty batch; keeps the buffers.
    package func reset(baseOffset: Int64) {
        buffer.truncate(to: RecordBatchHeader.size)
        recordsCount = 0
        self.baseOffset = baseOffset
        firstTimestamp = -1
        maxTimestamp = -1
        blockCuts.reset()
    }

    /// Bytes of encoded records so far, before compression.
    package var encodedBytes: Int { buffer.count - RecordBatchHeader.size }

    /// Appends the next record, at offset baseOffset + recordsCount.
    /// `timestamp` must be >= 0; a nil key or value is encoded as null.
    package func append(
        timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: UnsafeBufferPointer<HeaderBytes>
    ) {
        let appended = append(timestamp: timestamp, key: key, value: value, headers: headers, ifWithin: .max)
        precondition(appended, "an unlimited batch takes every record")
    }

    /// Appends the next record if the batch's encoded records then take at
    /// most `maxBytes`, or if the batch is empty (a batch holds at least one
    /// record, however large); otherwise appends nothing and returns false.
    /// The size is computed once, for the check and the encoding.
    package func append(
        timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headers: UnsafeBufferPointer<HeaderBytes>, ifWithin maxBytes: Int
    ) -> Bool {
        precondition(timestamp >= 0, "record timestamps must be >= 0")
        let offsetDelta = Int32(truncatingIfNeeded: recordsCount)
        let timestampDelta = recordsCount == 0 ? 0 : timestamp - firstTimestamp
        let body = RecordEncoding.bodySize(
            offsetDelta: offsetDelta, timestampDelta: timestampDelta, keyCount: key?.count, valueCount: value?.count,
            headers: headers)
        precondition(body <= Int(Int32.max), "a record must encode to fewer than 2 GiB")
        let size = Varint.size(Int64(body)) + body
        if recordsCount > 0 {
            guard recordsCount < Int(Int32.max), encodedBytes + size <= maxBytes else { return false }
            maxTimestamp = max(maxTimestamp, timestamp)
        } else {
            firstTimestamp = timestamp
            maxTimestamp = timestamp
        }
        blockCuts.recordWillStart(at: encodedBytes, size: size, target: KafkaLZ4.recordBlockTarget)
        buffer.reserveCapacity(buffer.count + size)
        let written = RecordEncoding.write(
            bodySize: body, offsetDelta: offsetDelta, timestampDelta: timestampDelta, key: key, value: value,
            headers: headers, to: buffer.baseAddress + buffer.count)
        buffer.unsafeExtend(by: written)
        blockCuts.recordDidEnd(at: encodedBytes, target: KafkaLZ4.recordBlockTarget)
        recordsCount += 1
        return true
    }

    /// Finishes the batch and appends it to `output`; returns its size.
    /// Header: magic 2, partitionLeaderEpoch -1, attributes = codec,
    /// lastOffsetDelta = count - 1, baseTimestamp = first timestamp,
    /// maxTimestamp = max, producerId/epoch/baseSequence -1. With `.lz4` the
    /// records are one Kafka-style LZ4 frame, even if that is larger (Kafka
    /// never falls back to no compression). An empty batch seals as Kafka's
    /// empty batches look: header only, codec none, lastOffsetDelta 0,
    /// timestamps -1. Only `.none` and `.lz4` can be written; a batch over
    /// Int32.max bytes throws `.tooLarge`. The builder keeps its records until
    /// the next reset.
    package func seal(compression: Compression, into output: ByteBuffer) throws(FormatError) -> Int {
        let requested = try BatchPayload.writable(compression)
        let codec = recordsCount == 0 ? .none : requested
        let start = output.count
        let size = try BatchPayload.append(
            buffer, codec: codec, lz4: lz4, blockEnds: blockCuts.ends, into: output, start: start)
        let header = RecordBatchHeader(
            baseOffset: baseOffset, batchLength: Int32(size - RecordBatchHeader.logOverhead),
            attributes: Int16(codec.rawValue), lastOffsetDelta: Int32(max(recordsCount - 1, 0)),
            baseTimestamp: firstTimestamp, maxTimestamp: maxTimestamp, recordsCount: Int32(recordsCount))
        let batch = UnsafeMutableRawBufferPointer(start: output.baseAddress + start, count: size)
        header.write(to: batch.baseAddress!)
        RecordBatch.updateCRC(batch)
        return size
    }
}
