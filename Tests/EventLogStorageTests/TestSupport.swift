// Helpers shared by the EventLogStorage tests.
import EventLogFormat

/// A header for offsets `first...last`, `size` bytes, with `maxTimestamp`.
func header(_ first: Int64, _ last: Int64, size: Int = 100, maxTimestamp: Int64 = 0) -> RecordBatchHeader {
    RecordBatchHeader(
        baseOffset: first, batchLength: Int32(size - RecordBatchHeader.logOverhead),
        lastOffsetDelta: Int32(last - first), baseTimestamp: 0, maxTimestamp: maxTimestamp,
        recordsCount: Int32(last - first + 1))
}
