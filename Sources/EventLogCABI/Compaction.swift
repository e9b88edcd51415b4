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
    onDirectory(dir, output: stats, named: "stats_out") { (path) throws(EventLogError) in
        var settings = CompactOptions()
        if let options { settings = try compactOptions(options) }
        let result = try EventLog.compact(at: path, options: settings)
        deliver(
            eventlog_compact_stats(
                version: UInt32(EVENTLOG_COMPACT_STATS_VERSION),
                records_before: result.recordsBefore, records_after: result.recordsAfter,
                bytes_before: result.bytesBefore, bytes_after: result.bytesAfter,
                segments_before: UInt64(result.segmentsBefore), segments_after: UInt64(result.segmentsAfter),
                segments_rewritten: UInt64(result.segmentsRewritten), tombstones_removed: result.tombstonesRemoved,
                keys: UInt64(result.keys), passes: UInt64(result.passes)),
            to: stats)
    }
}

/// The caller's options, read field by field: a caller compiled with
/// version 1 has a struct that ends after delete_retention_ms, so nothing
/// past it may be read. The values are checked by EventLog.compact(at:).
private func compactOptions(_ c: UnsafePointer<eventlog_compact_options>) throws(EventLogError) -> CompactOptions {
    let version = c.pointer(to: \.version)!.pointee
    guard version >= 1 && version <= UInt32(EVENTLOG_COMPACT_OPTIONS_VERSION) else {
        throw unknownVersion("opts->version", version, known: EVENTLOG_COMPACT_OPTIONS_VERSION)
    }
    var settings = CompactOptions()
    let deleteRetention = c.pointer(to: \.delete_retention_ms)!.pointee
    guard deleteRetention >= 0 else {
        throw EventLogError(.invalidArgument, "opts->delete_retention_ms: \(deleteRetention) is negative")
    }
    if deleteRetention != 0 { settings.deleteRetentionMilliseconds = deleteRetention }
    guard version >= 2 else { return settings }
    let flags = c.pointer(to: \.flags)!.pointee
    try checkFlags(
        "opts->flags", flags, known: UInt32(EVENTLOG_COMPACT_DRY_RUN) | UInt32(EVENTLOG_COMPACT_WAIT))
    settings.maxSegmentBytes = c.pointer(to: \.max_segment_bytes)!.pointee
    settings.memoryBudget = c.pointer(to: \.memory_budget)!.pointee
    settings.threads = Int(c.pointer(to: \.threads)!.pointee)
    settings.dryRun = flags & UInt32(EVENTLOG_COMPACT_DRY_RUN) != 0
    settings.waitForLock = flags & UInt32(EVENTLOG_COMPACT_WAIT) != 0
    return settings
}
