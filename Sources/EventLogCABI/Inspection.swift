// SPDX-License-Identifier: Apache-2.0
// C API: eventlog_info and eventlog_segments, both from EventLog.inspect(at:):
// the first copies the log's totals into the caller's struct, the second
// lends each segment's figures to a callback. No logic of their own.
import CEventLogHeader
internal import EventLog

@c(eventlog_info)
public func eventlogInfo(_ dir: UnsafePointer<CChar>?, _ info: UnsafeMutablePointer<eventlog_log_info>?) -> CInt {
    guard let info else { return invalid("info_out: NULL") }
    return onDirectory(dir, output: info, named: "info_out") { (path) throws(EventLogError) in
        let summary = try EventLog.inspect(at: path)
        deliver(
            eventlog_log_info(
                version: UInt32(EVENTLOG_LOG_INFO_VERSION), start_offset: summary.startOffset,
                end_offset: summary.endOffset, record_count: UInt64(summary.recordCount),
                batch_count: UInt64(summary.batchCount), segment_count: UInt64(summary.segments.count),
                bytes_on_disk: summary.bytesOnDisk, stored_bytes: summary.storedBytes,
                uncompressed_bytes: summary.uncompressedBytes, min_timestamp: summary.minTimestamp ?? 0,
                max_timestamp: summary.maxTimestamp ?? 0), to: info)
    }
}

@c(eventlog_segments)
public func eventlogSegments(
    _ dir: UnsafePointer<CChar>?, _ visit: eventlog_segment_visit?, _ context: UnsafeMutableRawPointer?
) -> CInt {
    walk(dir, visit) { path throws(EventLogError) in
        try EventLog.inspect(at: path).segments
    } lend: { segment, visit in
        segment.fileName.withCString { fileName in
            var lent = eventlog_segment_info(
                version: UInt32(EVENTLOG_SEGMENT_INFO_VERSION), active: segment.isActive ? 1 : 0,
                file_name: fileName, base_offset: segment.baseOffset, file_bytes: segment.fileBytes,
                index_bytes: segment.indexBytes, first_offset: segment.firstOffset ?? 0,
                last_offset: segment.lastOffset ?? 0, record_count: UInt64(segment.recordCount),
                batch_count: UInt64(segment.batchCount), stored_bytes: segment.storedBytes,
                uncompressed_bytes: segment.uncompressedBytes, min_timestamp: segment.minTimestamp ?? 0,
                max_timestamp: segment.maxTimestamp ?? 0)
            return visit(&lent, context)
        }
    }
}
