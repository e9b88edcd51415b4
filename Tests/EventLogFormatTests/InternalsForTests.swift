// SPDX-License-Identifier: Apache-2.0
// Entry points only the tests need, built on the format's internals: a
// varint read at Kafka's limits with nothing around it, and a record's
// encoded size computed apart from encoding it.
@testable import EventLogFormat

extension Varint {
    /// Reads an int32 varint at `index` and advances `index` past it.
    static func readInt32(_ bytes: UnsafeRawBufferPointer, at index: inout Int) throws(FormatError) -> Int32 {
        guard let base = bytes.baseAddress, index >= 0 else { throw truncatedVarint(at: index) }
        return decode32(try readRaw(base, &index, limit: bytes.count, maxBytes: 5, overrun: .truncated))
    }

    /// Reads an int64 varint (Kafka's varlong) at `index` and advances `index` past it.
    static func readInt64(_ bytes: UnsafeRawBufferPointer, at index: inout Int) throws(FormatError) -> Int64 {
        guard let base = bytes.baseAddress, index >= 0 else { throw truncatedVarint(at: index) }
        return decode64(try readRaw(base, &index, limit: bytes.count, maxBytes: 10, overrun: .truncated))
    }
}

extension RecordBatchBuilder {
    /// Exact encoded size of a record, length prefix included.
    static func encodedSize(
        offsetDelta: Int32, timestampDelta: Int64, keyCount: Int?, valueCount: Int?,
        headers: UnsafeBufferPointer<HeaderBytes>
    ) -> Int {
        let body = RecordEncoding.bodySize(
            offsetDelta: offsetDelta, timestampDelta: timestampDelta, keyCount: keyCount, valueCount: valueCount,
            headers: headers)
        return Varint.size(Int64(body)) + body
    }
}
