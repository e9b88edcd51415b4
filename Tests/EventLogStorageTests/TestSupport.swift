// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the EventLogStorage tests.
import EventLogFormat

/// A header for offsets `first...last`, `size` bytes, with `maxTimestamp`.
func header(_ first: Int64, _ last: Int64, size: Int = 100, maxTimestamp: Int64 = 0) -> RecordBatchHeader {
    RecordBatchHeader(
        baseOffset: first, batchLength: Int32(size - RecordBatchHeader.logOverhead),
        lastOffsetDelta: Int32(last - first), baseTimestamp: 0, maxTimestamp: maxTimestamp,
        recordsCount: Int32(last - first + 1))
}

/// Bytes of a segment holding one sealed batch of `count` small records per
/// entry of `counts`, offsets following on from 0.
func segmentBytes(_ counts: [Int]) throws -> [UInt8] {
    let builder = RecordBatchBuilder()
    let output = ByteBuffer(capacity: 1024)
    var offset: Int64 = 0
    for count in counts {
        builder.reset(baseOffset: offset)
        for i in 0..<count {
            let value = Array("record \(offset + Int64(i))".utf8)
            value.withUnsafeBytes {
                builder.append(timestamp: 1000, key: nil, value: $0, headers: .init(start: nil, count: 0))
            }
        }
        _ = try builder.seal(compression: .none, into: output)
        offset += Int64(count)
    }
    return output.withUnsafeBytes { Array($0) }
}
