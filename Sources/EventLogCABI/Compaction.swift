// SPDX-License-Identifier: Apache-2.0
// C API: eventlog_compact. Checks the options and the stats' version, calls
// EventLog.compact(at:) and copies its counts into the caller's stats; no
// logic of its own.
import CEventLogHeader
internal import EventLog

@c(eventlog_compact)
public func eventlogCompact(
    _ dir: UnsafePointer<CChar>?, _ options: UnsafePointer<eventlog_compact_options>?,
    _ stats: UnsafeMutablePointer<eventlog_compact_stats>?
) -> CInt {
    if let error = prepareOutput(stats, named: "stats_out") { return fail(error) }
    guard let dir else { return invalid("dir: NULL") }
    let path = String(cString: dir)
    return guarded { () throws(EventLogError) in
        var settings = CompactOptions()
        if let c = options?.pointee {
            guard c.version == UInt32(EVENTLOG_COMPACT_OPTIONS_VERSION) else {
                throw unknownVersion("opts->version", c.version, known: EVENTLOG_COMPACT_OPTIONS_VERSION)
            }
            guard c.delete_retention_ms >= 0 else {
                throw EventLogError(.invalidArgument, "opts->delete_retention_ms: \(c.delete_retention_ms) is negative")
            }
            if c.delete_retention_ms != 0 { settings.deleteRetentionMilliseconds = c.delete_retention_ms }
        }
        let result = try EventLog.compact(at: path, options: settings)
        stats?.pointee = eventlog_compact_stats(
            version: UInt32(EVENTLOG_COMPACT_STATS_VERSION),
            records_before: result.recordsBefore, records_after: result.recordsAfter,
            bytes_before: result.bytesBefore, bytes_after: result.bytesAfter)
    }
}
