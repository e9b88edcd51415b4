// SPDX-License-Identifier: Apache-2.0
// Whole-batch checks and CRC maintenance: the equivalent of Kafka's
// DefaultRecordBatch.ensureValid (structure, then CRC-32C over
// [21, end of batch)) and of the CRC step of its writeHeader.

package enum RecordBatch {
    /// Full validation of one complete batch (`batch.count == header.totalSize`):
    /// structure, then CRC. Returns the header.
    package static func validate(_ batch: UnsafeRawBufferPointer) throws(FormatError) -> RecordBatchHeader {
        let header = try validateStructure(batch)
        if let mismatch = crcMismatch(batch, header: header) { throw mismatch }
        return header
    }

    /// `validate` without the CRC: for a reader that checks the CRC after
    /// decoding (`crcMismatch`) and reports it before any decoding error.
    package static func validateStructure(_ batch: UnsafeRawBufferPointer) throws(FormatError) -> RecordBatchHeader {
        let header = try RecordBatchHeader(parsing: batch)
        guard batch.count >= header.totalSize else {
            throw FormatError(
                kind: .truncated, position: 0,
                detail: "batch of \(header.totalSize) bytes (batchLength \(header.batchLength)) "
                    + "has only \(batch.count) bytes")
        }
        guard batch.count == header.totalSize else {
            throw FormatError(
                kind: .trailingBytes, position: header.totalSize,
                detail: "\(batch.count - header.totalSize) bytes follow the \(header.totalSize)-byte batch")
        }
        return header
    }

    /// The error `validate` reports for the CRC of a whole batch whose
    /// structure it accepted, or nil if the CRC matches.
    package static func crcMismatch(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) -> FormatError? {
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.crcCoveredOffset...]))
        guard computed != header.crc else { return nil }
        return FormatError(
            kind: .crcMismatch, position: RecordBatchHeader.crcOffset,
            detail: "CRC mismatch: stored \(hex32(header.crc)), computed \(hex32(computed))")
    }

    /// Recomputes and stores the CRC of a batch whose header and payload are
    /// in place; `batch` is exactly the batch (at least the 61 header bytes).
    package static func updateCRC(_ batch: UnsafeMutableRawBufferPointer) {
        precondition(batch.count >= RecordBatchHeader.size, "updateCRC needs a whole batch")
        let covered = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.crcCoveredOffset...])
        BigEndian.store(CRC32C.checksum(covered), to: batch.baseAddress!, at: RecordBatchHeader.crcOffset)
    }
}
