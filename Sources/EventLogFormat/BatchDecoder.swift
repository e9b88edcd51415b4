// SPDX-License-Identifier: Apache-2.0
// Decoding the records of one batch, whatever its codec: the one place that
// switches on the compression codec, decompresses and decodes. Cursors, point
// reads, verify, compaction, inspection and the fuzz target all decode
// through it, so they agree on what a batch holds.
//
// A decoder owns the LZ4 state, the buffer a compressed batch decompresses
// into and the arrays its records are decoded into, and reuses them from
// batch to batch. Borrowed results: `records`, `headers` and `section` point
// into the payload given to `decode` (an uncompressed batch) or into the
// buffer it decompressed into, valid until the next `decode` into that
// buffer. Not thread-safe: a decoder belongs to one owner.

package final class BatchDecoder {
    /// The most a batch may decompress to. Bounds what hostile input can make
    /// us allocate; the writer's batches stay far below it.
    package static let maxDecompressedBatch = 1 << 30

    /// The LZ4 state, for reading one block of a batch decoded before
    /// (`KafkaLZ4.decompressBlock`).
    package let lz4 = KafkaLZ4()
    private let buffer: ByteBuffer
    private let limit: Int

    // Touched for every record a cursor hands out: a class's stored
    // properties get runtime exclusivity checks by default, which cost more
    // than the decoding, and a decoder belongs to one owner.

    /// The records and headers of the batch last decoded; `headerStart`
    /// indexes `headers`. Empty after a failed decode. Owners may take them
    /// (swap), leaving arrays whose capacity the next decode reuses.
    @exclusivity(unchecked) package var records: [RecordView] = []
    @exclusivity(unchecked) package var headers: [HeaderView] = []
    /// The records section of the batch last decoded, decompressed for LZ4.
    @exclusivity(unchecked) package private(set) var section = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Where each LZ4 block of the batch last decoded starts, in its frame
    /// and in `section`; empty for an uncompressed batch.
    @exclusivity(unchecked) package private(set) var blockStarts: [LZ4BlockStart] = []

    /// `bufferCapacity`: what the decompression buffer starts with (it
    /// grows). `limit`: the most one batch may decompress to.
    package init(bufferCapacity: Int = 256 << 10, limit: Int = BatchDecoder.maxDecompressedBatch) {
        buffer = ByteBuffer(capacity: bufferCapacity)
        self.limit = limit
    }

    /// Decodes the records of the batch whose 61-byte header is `header` and
    /// whose payload (the bytes after the header) is `payload`, replacing
    /// `records` and `headers`. An LZ4 batch decompresses into `into` if
    /// given (an owner that keeps the records of several batches alive gives
    /// each its own buffer), else into the decoder's buffer. Returns false,
    /// decoding nothing, for a codec other than none and LZ4. Errors are
    /// those of `RecordDecoder` and `KafkaLZ4`, positions relative to the
    /// payload; `records` and `headers` are then empty.
    @discardableResult
    package func decode(_ header: RecordBatchHeader, payload: UnsafeRawBufferPointer, into target: ByteBuffer? = nil)
        throws(FormatError) -> Bool
    {
        records.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
        blockStarts.removeAll(keepingCapacity: true)
        section = UnsafeRawBufferPointer(start: nil, count: 0)
        switch header.compression {
        case .some(.none):
            try RecordDecoder.decode(recordsSection: payload, header: header, into: &records, headers: &headers)
            section = payload
        case .some(.lz4):
            let output = target ?? buffer
            output.removeAll()
            section = try RecordDecoder.decode(
                lz4Frame: payload, using: lz4, buffer: output, limit: limit, header: header, into: &records,
                headers: &headers, blockStarts: &blockStarts)
        default:
            return false
        }
        return true
    }
}
