// SPDX-License-Identifier: Apache-2.0
// The steps both batch builders share: checking that their codec can be
// written, appending a batch's records section to the output after its
// 61-byte header gap, LZ4-framed or as is, and checking that the batch still
// fits Kafka's int32 length field.

enum BatchPayload {
    /// `codec` if batches can be written with it (none and LZ4), else
    /// `.unsupportedCompression` (nil: an undefined codec).
    static func writable(_ codec: Compression?) throws(FormatError) -> Compression {
        guard let codec, codec == .none || codec == .lz4 else {
            throw FormatError(
                kind: .unsupportedCompression, position: RecordBatchHeader.attributesOffset,
                detail: "writing \(codec.map { "\($0)" } ?? "unknown codec") batches is not supported")
        }
        return codec
    }

    /// Appends header gap + records (`staged` holds them after a 61-byte
    /// gap) to `output` and returns the batch size; on error `output` is left
    /// as it was. LZ4 blocks end at `blockEnds` when the caller knows where
    /// its records allow (nil: found from the records' lengths).
    static func append(
        _ staged: ByteBuffer, codec: Compression, lz4: KafkaLZ4, blockEnds: [Int]? = nil, into output: ByteBuffer,
        start: Int
    ) throws(FormatError) -> Int {
        if codec == .lz4 {
            output.appendZeros(RecordBatchHeader.size)
            let records = UnsafeRawBufferPointer(
                start: staged.baseAddress + RecordBatchHeader.size, count: staged.count - RecordBatchHeader.size)
            do {
                if let blockEnds {
                    _ = try lz4.compressRecords(records, endingBlocksAt: blockEnds, into: output)
                } else {
                    _ = try lz4.compressRecords(records, into: output)
                }
            } catch {
                output.truncate(to: start)
                throw error
            }
        } else {
            output.append(UnsafeRawBufferPointer(start: staged.baseAddress, count: staged.count))
        }
        let size = output.count - start
        guard size - RecordBatchHeader.logOverhead <= Int(Int32.max) else {
            output.truncate(to: start)
            throw FormatError(
                kind: .tooLarge, position: RecordBatchHeader.batchLengthOffset,
                detail: "batch of \(size) bytes does not fit an int32 batchLength")
        }
        return size
    }
}
