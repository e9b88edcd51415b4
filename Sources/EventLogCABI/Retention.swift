// SPDX-License-Identifier: Apache-2.0
// C API: eventlog_retention. Checks the options and the stats' version,
// calls EventLog.applyRetention(at:options:) and copies its report into the
// caller's stats; no logic of its own.
import CEventLogHeader
internal import EventLog

@c(eventlog_retention)
public func eventlogRetention(
    _ dir: UnsafePointer<CChar>?, _ options: UnsafePointer<eventlog_retention_options>?,
    _ stats: UnsafeMutablePointer<eventlog_retention_stats>?
) -> CInt {
    onDirectory(dir, output: stats, named: "stats_out") { (path) throws(EventLogError) in
        let c = try nonNull(options, "opts").pointee
        guard c.version == UInt32(EVENTLOG_RETENTION_OPTIONS_VERSION) else {
            throw unknownVersion("opts->version", c.version, known: EVENTLOG_RETENTION_OPTIONS_VERSION)
        }
        let known =
            UInt32(EVENTLOG_RETAIN_UNCOMMITTED) | UInt32(EVENTLOG_RETENTION_DRY_RUN)
            | UInt32(EVENTLOG_RETENTION_WAIT)
        try checkFlags("opts->flags", c.flags, known: known)
        guard c.retention_ms >= 0 else {
            throw EventLogError(.invalidArgument, "opts->retention_ms: \(c.retention_ms) is negative")
        }
        var settings = RetentionOptions()
        settings.retentionBytes = c.retention_bytes
        settings.retentionMilliseconds = c.retention_ms
        settings.retainUncommitted = c.flags & UInt32(EVENTLOG_RETAIN_UNCOMMITTED) != 0
        settings.dryRun = c.flags & UInt32(EVENTLOG_RETENTION_DRY_RUN) != 0
        settings.waitForLock = c.flags & UInt32(EVENTLOG_RETENTION_WAIT) != 0
        let report = try EventLog.applyRetention(at: path, options: settings)
        let oldStart = report.deletedSegments.first ?? report.startOffset
        deliver(
            eventlog_retention_stats(
                version: UInt32(EVENTLOG_RETENTION_STATS_VERSION), held_by_cursor: report.heldByCursor == nil ? 0 : 1,
                segments_deleted: UInt64(report.deletedSegments.count), bytes_freed: report.deletedBytes,
                offsets_removed: report.startOffset - oldStart, start_offset: report.startOffset), to: stats)
    }
}
