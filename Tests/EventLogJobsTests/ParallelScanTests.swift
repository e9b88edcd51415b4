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

    /// A damaged offset index costs a scan its pieces, not its records: an
    /// index entry chosen as a piece's start that does not point at a batch
    /// ends the cutting, and the piece before it runs to the segment's end.
    @Test func aDamagedIndexEndsTheCuttingNotTheScan() throws {
        let scratch = ScratchLog()
        let writer = try scratch.fill(count: 3000, seed: 13)
        let model = try readBack(writer).map(\.offset)
        try writer.close()
        var options = EventLogOptions()
        options.readOnly = true
        func scanAll() throws -> (offsets: [UInt64], pieces: Int) {
            let log = try EventLog(path: scratch.path, options: options)
            defer { try? log.close() }
            let workers = (0..<2).map { _ in WorkerLog() }
            let (code, summary) = try log.scan(from: 0, to: .max, threads: 2, pieceBytes: 1) {
                worker, records, headers in
                workers[worker].records += records.map { JobRecordCopy($0, headers).model }
                return 0
            }
            #expect(code == 0)
            return (workers.flatMap(\.records).map(\.offset).sorted(), summary.pieces)
        }
        let intact = try scanAll()
        #expect(intact.offsets == model)
        // Every entry of the closed segments' indexes one byte into its batch.
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        let indexes = names.filter { $0.hasSuffix(".index") }.sorted().dropLast()
        for name in indexes {
            let url = URL(fileURLWithPath: scratch.path).appendingPathComponent(name)
            var bytes = [UInt8](try Data(contentsOf: url))
            for entry in stride(from: 0, to: bytes.count - 7, by: 8) { bytes[entry + 7] &+= 1 }
            try Data(bytes).write(to: url)
        }
        let damaged = try scanAll()
        #expect(damaged.offsets == model)
        #expect(damaged.pieces < intact.pieces)
        #expect(damaged.pieces >= indexes.count)
    }
}
