// SPDX-License-Identifier: Apache-2.0
// C API: eventlog_scan. Checks the arguments and the options, then runs the
// log's parallel scan (EventLog.scan), lending each batch of records as
// eventlog_record structs: the decoded views themselves when no record of
// the batch has headers, else structs in arrays of the worker's own, so
// workers never share a buffer.
import CEventLogHeader
internal import EventLog
internal import EventLogFormat

@c(eventlog_scan)
public func eventlogScan(
    _ log: OpaquePointer?, _ from: UInt64, _ to: UInt64, _ options: UnsafePointer<eventlog_scan_options>?,
    _ visit: eventlog_scan_visit?, _ context: UnsafeMutableRawPointer?,
    _ stats: UnsafeMutablePointer<eventlog_scan_stats>?
) -> CInt {
    if let error = prepareOutput(stats, named: "stats_out") { return fail(error) }
    guard let log else { return invalid("log: NULL") }
    guard let visit else { return invalid("visit: NULL") }
    guard from <= to else { return invalid("from: \(from) is after to: \(to)") }
    var threads = 0
    var pieceBytes = 0
    if let c = options?.pointee {
        guard c.version == UInt32(EVENTLOG_SCAN_OPTIONS_VERSION) else {
            return fail(unknownVersion("opts->version", c.version, known: EVENTLOG_SCAN_OPTIONS_VERSION))
        }
        guard c.threads <= EVENTLOG_MAX_SCAN_THREADS else {
            return invalid(
                "opts->threads: \(c.threads) is above EVENTLOG_MAX_SCAN_THREADS (\(EVENTLOG_MAX_SCAN_THREADS))")
        }
        threads = Int(c.threads)
        pieceBytes = Int(clamping: c.piece_bytes)
    }
    let handle = Handle.log(log)
    let workers = (0..<(threads > 0 ? threads : EventLog.onlineCores)).map { _ in ScanBuffers() }
    do {
        let (code, summary) = try handle.scan(from: from, to: to, threads: threads, pieceBytes: pieceBytes) {
            worker, records, headers in
            guard !records.isEmpty else { return 0 }
            if headers.isEmpty,
                let code = withRecordStructsInPlace(records, { visit($0, records.count, UInt32(worker), context) })
            {
                return code
            }
            let out = workers[worker].fill(records, headers)
            return visit(out, records.count, UInt32(worker), context)
        }
        deliver(
            eventlog_scan_stats(
                version: UInt32(EVENTLOG_SCAN_STATS_VERSION), records: UInt64(summary.records),
                batches: UInt64(summary.batches), stored_bytes: UInt64(summary.storedBytes),
                uncompressed_bytes: UInt64(summary.decodedBytes), pieces: UInt64(summary.pieces),
                threads: UInt64(summary.workers), end_offset: UInt64(summary.endOffset)), to: stats)
        return code
    } catch {
        return fail(error)
    }
}

extension eventlog_scan_stats: VersionedOutput {}

/// A worker's arrays for the structs lent to the callback. Each worker has
/// its own, so workers share nothing but the immutable list of them.
private final class ScanBuffers: @unchecked Sendable {
    private let records = LentStructs<eventlog_record>(capacity: 1024)
    private let headers = LentStructs<eventlog_header>(capacity: 64)

    func fill(_ batch: UnsafeBufferPointer<RecordView>, _ views: [HeaderView]) -> UnsafePointer<eventlog_record> {
        let out = records.reserve(batch.count)
        let headerOut = headers.reserve(views.count)
        views.withUnsafeBufferPointer { fillRecordStructs(out, batch, headers: $0, headerOut: headerOut) }
        return UnsafePointer(out)
    }
}
