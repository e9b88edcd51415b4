// SPDX-License-Identifier: Apache-2.0
// The threaded scan behind eventlog_scan against the sequential model: on
// random logs, compacted or not, every record of the range is handed out
// exactly once, with its bytes, in offset order within each batch and each
// worker's run of a piece, for 1 to 16 threads and ranges that start and
// end inside batches.
import EventLog
import EventLogJobs
import EventLogTestSupport
import Foundation
import Testing

@Suite struct ParallelScanTests {
    /// What one worker saw; only that worker writes it, and the scan joins
    /// its threads before returning.
    final class WorkerLog: @unchecked Sendable {
        var records: [ModelRecord] = []
    }

    @Test(arguments: [(11 as UInt64, false), (12, true)])
    func everyRecordOnce(seed: UInt64, compacted: Bool) throws {
        let scratch = ScratchLog()
        let log = try scratch.fill(count: 3000, seed: seed, compacted: compacted)
        let model = try readBack(log)
        var random = SeededGenerator(seed: seed)
        for threads in [1, 2, 5, 16] {
            let from = random.next() % log.endOffset
            let to = from + random.next() % (log.endOffset - from + 1)
            let workers = (0..<threads).map { _ in WorkerLog() }
            let (code, summary) = try log.scan(from: from, to: to, threads: threads, pieceBytes: 1) {
                worker, records, headers in
                for view in records {
                    let record = JobRecordCopy(view, headers)
                    if let last = workers[worker].records.last, last.offset >= record.offset {
                        // A worker finishing a piece takes a later one, never an earlier.
                        Issue.record("worker \(worker): \(record.offset) after \(last.offset)")
                    }
                    workers[worker].records.append(record.model)
                }
                return 0
            }
            #expect(code == 0)
            let seen = workers.flatMap(\.records).sorted { $0.offset < $1.offset }
            #expect(seen == model.filter { (from..<to).contains($0.offset) }, "\(threads) threads, \(from)..<\(to)")
            #expect(summary.records == seen.count)
            #expect(summary.workers <= threads)
        }
        try log.close()
    }
}
