// SPDX-License-Identifier: Apache-2.0
// C API: eventlog_recover. Checks the options and the report's version,
// calls EventLog.recover(at:options:) and sums its report into the
// caller's struct; no logic of its own.
import CEventLogHeader
internal import EventLog

@c(eventlog_recover)
public func eventlogRecover(
    _ dir: UnsafePointer<CChar>?, _ options: UnsafePointer<eventlog_recover_options>?,
    _ report: UnsafeMutablePointer<eventlog_recover_report>?
) -> CInt {
    onDirectory(dir, output: report, named: "report_out") { (path) throws(EventLogError) in
        var settings = RecoverOptions()
        if let c = options?.pointee {
            guard c.version == UInt32(EVENTLOG_RECOVER_OPTIONS_VERSION) else {
                throw unknownVersion("opts->version", c.version, known: EVENTLOG_RECOVER_OPTIONS_VERSION)
            }
            let known = UInt32(EVENTLOG_RECOVER_DRY_RUN) | UInt32(EVENTLOG_RECOVER_TRUNCATE_AFTER_DAMAGE)
            try checkFlags("opts->flags", c.flags, known: known)
            settings.dryRun = c.flags & UInt32(EVENTLOG_RECOVER_DRY_RUN) != 0
            settings.truncateAfterDamage = c.flags & UInt32(EVENTLOG_RECOVER_TRUNCATE_AFTER_DAMAGE) != 0
        }
        let result = try EventLog.recover(at: path, options: settings)
        let quarantined = result.removals.filter { $0.quarantine != nil }.reduce(0) { $0 + $1.end - $1.position }
        deliver(
            eventlog_recover_report(
                version: UInt32(EVENTLOG_RECOVER_REPORT_VERSION), dry_run: result.dryRun ? 1 : 0,
                records_kept: result.recordsKept, records_dropped: result.recordsDropped,
                bytes_removed: result.bytesTruncated, bytes_quarantined: quarantined,
                strangers_moved: UInt64(result.strangers.count), segments_deleted: result.segmentsDeleted,
                indexes_rebuilt: result.indexesRebuilt, next_offset: result.nextOffset,
                problems: UInt64(result.problems.count)), to: report)
    }
}
