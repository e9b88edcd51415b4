// SPDX-License-Identifier: Apache-2.0
// Batch reads of a whole offset range: the parallel scan behind the C API's
// eventlog_scan and the EventLogJobs module. A scan covers what was
// published when it starts; records appended meanwhile are left to the
// next one. Package API: the public Swift face of batch jobs is
// EventLogJobs.
internal import EventLogFormat
package import EventLogStorage

extension EventLog {
    /// The cores this process may run on: the default number of workers.
    package static var onlineCores: Int { EventLogStorage.onlineCores() }

    /// Plans the records with offsets in `from..<to` (the C API's offsets:
    /// `EVENTLOG_OLDEST` and `EVENTLOG_LATEST` allowed; clamped to what the log holds) in
    /// pieces of about `pieceBytes` bytes (0: `piecesPerWorker` pieces for
    /// each of `workers`). A job whose pieces each leave partial results to
    /// merge wants few; a scan, whose pieces cost nothing after, wants
    /// many, so that the last piece, which one worker reads while the
    /// others are done, is short.
    @usableFromInline package func scanPlan(
        from: UInt64, to: UInt64, workers: Int, pieceBytes: Int = 0, piecesPerWorker: Int = 8
    ) throws(EventLogError) -> ScanPlan {
        if directory.state.isClosed { throw EventLogError(.closed, "\(path): the log is closed") }
        let start = Self.scanBound(from)
        let end = Self.scanBound(to)
        var size = pieceBytes
        if size <= 0 {
            let rough = try ScanPlan.make(state: directory.state, from: start, to: end, pieceBytes: Int.max)
            size = ScanPlan.pieceBytes(totalBytes: rough.bytes, workers: workers, piecesPerWorker: piecesPerWorker)
        }
        return try ScanPlan.make(state: directory.state, from: start, to: end, pieceBytes: size)
    }

    /// Scans `from..<to` on `threads` worker threads (0: one per core),
    /// lending each worker the records of one batch at a time, in offset
    /// order within a piece. Returns the visitor's non-zero answer if it
    /// stopped the scan (else 0) and what was read.
    package func scan(
        from: UInt64, to: UInt64, threads: Int = 0, pieceBytes: Int = 0, visit: @escaping ParallelScan.Visit
    ) throws(EventLogError) -> (code: Int32, summary: ScanSummary) {
        let workers = threads > 0 ? threads : EventLog.onlineCores
        let plan = try scanPlan(from: from, to: to, workers: workers, pieceBytes: pieceBytes, piecesPerWorker: 32)
        return try ParallelScan.run(
            plan, workers: workers, isCancelled: { [directory] in directory.state.isClosed }, visit: visit)
    }

    /// A scan's bound in the storage layer's terms: the oldest record is
    /// below every offset, the latest above.
    private static func scanBound(_ offset: UInt64) -> Int64 {
        switch Position(cOffset: offset) {
        case .oldest: Int64.min
        case .latest: Int64.max
        default: Int64(clamping: offset)
        }
    }
}
